"""Issue 19 acceptance: `python app.py` (with its WebSocket proxy) pointed at the fake Angel One servers
(REST, SmartStream, order status). One user connects Angel One the real way (client code, PIN and the
current TOTP, through services.broker_session.connect, then the scrip master download), another is on the
paper broker; the public `openalgo` client (1.0.47 and 2.0.5, tests/support/openalgo_clients.py) sees the
same shapes from both, quotes stream from SmartStream, order changes are pushed from Angel's order-status
feed to the 2.x client's subscribe_orders, and a token Angel rejects mid-day is one broker call, a clear
"broker session expired" 403, and the session marked expired."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import pytest

from tests.fakes.angel import API_KEY, CLIENT_CODE, PIN, AngelServer, OrderStatusServer, SmartStreamServer
from tests.fakes.angel.data import base_price
from tests.support.acceptance import (BrokerApp, expired_token_is_one_call, history_matches_paper,
                                      holdings_match_paper, market_order, order_updates,
                                      orders_and_books_match_paper, quote_matches_paper, running_app,
                                      streamed_quote_matches_paper, subscribed_to_orders)
from tests.support.openalgo_clients import V2, ClientVersion

pytestmark = pytest.mark.xdist_group("angel_acceptance")

SYMBOL, TOKEN = "SBIN", "3045"             # an NSE equity of the recorded scrip-master slice
ORDER = market_order(SYMBOL)
ORDER_BOOK = "/rest/secure/angelbroking/order/v1/getOrderBook"


@dataclass
class Setup:
    app: BrokerApp
    angel: AngelServer
    stream: SmartStreamServer
    orders: OrderStatusServer


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    tmp = tmp_path_factory.mktemp("angel_acceptance")
    with AngelServer() as angel:
        stream = SmartStreamServer(angel, interval=0.1)
        orders = OrderStatusServer(angel)
        try:
            # Angel's login form: client code, PIN and the TOTP of the moment
            with running_app(tmp, "angel", lambda: {"client_code": CLIENT_CODE, "pin": PIN, "totp": angel.totp()},
                             ANGEL_API_KEY=API_KEY, ANGEL_API_URL=angel.url, ANGEL_MASTER_URL=angel.master_url,
                             ANGEL_WS_URL=stream.url, ANGEL_ORDER_WS_URL=orders.url) as app:
                yield Setup(app, angel, stream, orders)
        finally:
            stream.close()
            orders.close()


def test_orders_and_books_have_the_paper_brokers_shapes(setup: Setup, openalgo_client: ClientVersion):
    books = orders_and_books_match_paper(setup.app, openalgo_client, ORDER)
    sent = setup.angel.requests_to("/rest/secure/angelbroking/order/v1/placeOrder")[-1].json
    assert (sent["tradingsymbol"], sent["symboltoken"], sent["transactiontype"], sent["quantity"]) == \
        ("SBIN-EQ", TOKEN, "BUY", "1")
    assert sent["ordertype"] == "MARKET" and sent["producttype"] == "INTRADAY" and sent["variety"] in ("NORMAL", "AMO")
    assert books.placed["orderid"] in setup.angel.orders
    assert any(p["symbol"] == SYMBOL for p in books.positions["data"])
    holdings = holdings_match_paper(setup.app, openalgo_client)
    assert holdings["data"]["holdings"][0] == {"symbol": "TATASTEEL", "exchange": "NSE", "product": "CNC", "quantity": 2,
                                               "average_price": 111.87, "pnl": 37.0, "pnlpercent": 16.54}


def test_market_data_has_the_paper_brokers_shapes(setup: Setup, openalgo_client: ClientVersion):
    quote = quote_matches_paper(setup.app, openalgo_client, SYMBOL)
    assert quote["data"]["ltp"] == base_price(TOKEN)
    candles, paper_candles = history_matches_paper(setup.app, openalgo_client, SYMBOL)
    assert str(candles.index.tz) == str(paper_candles.index.tz) == "Asia/Kolkata"
    assert (candles.index[0].hour, candles.index[0].minute) == (9, 15)    # the session's first bar
    fetched = setup.angel.requests_to("/rest/secure/angelbroking/historical/v1/getCandleData")[-1].json
    assert fetched["interval"] == "FIVE_MINUTE" and fetched["symboltoken"] == TOKEN


def test_subscribe_quote_streams_smartstream(setup: Setup, openalgo_client: ClientVersion):
    quote = streamed_quote_matches_paper(setup.app, openalgo_client, SYMBOL)
    assert abs(quote["ltp"] - base_price(TOKEN)) < 1.0
    subscribed = [m for m in setup.stream.messages if isinstance(m, dict) and m.get("action") == 1]
    assert subscribed and subscribed[-1]["params"]["tokenList"] == [{"exchangeType": 1, "tokens": [TOKEN]}]


@pytest.fixture
def openalgo2() -> Iterator[ClientVersion]:
    version = ClientVersion(V2)
    yield version
    version.close()


def test_subscribe_orders_gets_angels_pushed_order_updates(setup: Setup, openalgo2: ClientVersion):
    # the proxy opened Angel's order feed
    watcher = subscribed_to_orders(setup.app, openalgo2, lambda: setup.orders.accepted >= 1)
    limit = dict(ORDER, price_type="LIMIT", price=round(base_price(TOKEN) * 0.8, 1))
    placed = setup.app.client(openalgo2).placeorder(**limit)
    assert placed["status"] == "success", placed
    order_id = placed["orderid"]
    cancelled = setup.app.client(openalgo2).cancelorder(order_id=order_id, strategy="accept")
    assert cancelled["status"] == "success", cancelled

    seen = order_updates(watcher.wait_for_events(
        lambda events: {"open", "cancelled"} <= {u["order_status"] for u in order_updates(events, order_id)},
        timeout=15), order_id)
    statuses = [u["order_status"] for u in seen]
    watcher.disconnect()
    assert "cancelled" in statuses and statuses.index("open") < statuses.index("cancelled"), statuses
    assert all(u["symbol"] == SYMBOL and u["broker"] == "angel" and u["exchange"] == "NSE" for u in seen)
    assert [m["orderData"]["orderid"] for m in setup.orders.sent].count(order_id) >= 2     # both pushed by Angel


def test_token_rejected_mid_day_is_one_call_then_broker_session_expired(setup: Setup, openalgo_client: ClientVersion):
    expired_token_is_one_call(setup.app, openalgo_client, setup.angel, ORDER, ORDER_BOOK)
