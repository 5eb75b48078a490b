"""Issue 21 acceptance: `python app.py` (with its WebSocket proxy) pointed at the fake Dhan endpoints
(REST, scrip master, binary market feed, order updates). One user connects Dhan the way the login form
does (client id and an access token, checked at Dhan, then the scrip master download), another is on the
paper broker; the public `openalgo` client sees the same shapes from both, quotes stream from Dhan's
binary feed, order changes are pushed from Dhan's order-update stream, and a token Dhan rejects mid-day
is one broker call, a clear "broker session expired" 403, and the session marked expired. The same
script runs with both public client versions (1.0.47 and 2.0.5), and the 2.x client's subscribe_orders
receives Dhan's pushes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import pytest

from tests.fakes.dhan import ACCESS_TOKEN, CLIENT_ID, DhanFeedServer, DhanServer, OrderUpdateServer
from tests.support.acceptance import (BrokerApp, expired_token_is_one_call, history_matches_paper,
                                      holdings_match_paper, market_order, order_updates,
                                      orders_and_books_match_paper, proxy_order_feed, proxy_order_updates,
                                      quote_matches_paper, running_app, streamed_quote_matches_paper,
                                      subscribed_to_orders)
from tests.support.openalgo_clients import CLIENT_VERSIONS, V2, ClientVersion
from tests.websocket_proxy.conftest import wait_until

pytestmark = pytest.mark.xdist_group("dhan_acceptance")

SYMBOL, SECURITY_ID = "HDFCBANK", "1333"          # an NSE equity of the recorded scrip master
STREAMED_LTP = 100 + int(SECURITY_ID) % 1000 / 10   # the fake feed's base price for it (tests/fakes/dhan/feed.py)
ORDER = market_order(SYMBOL)


@dataclass
class Setup:
    app: BrokerApp
    dhan: DhanServer
    feed: DhanFeedServer
    orders: OrderUpdateServer


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    tmp = tmp_path_factory.mktemp("dhan_acceptance")
    with DhanServer() as dhan:
        feed = DhanFeedServer(interval=0.1)
        orders = OrderUpdateServer()
        dhan.order_updates = orders
        try:
            # Dhan's login form: the client id and an access token generated on web.dhan.co
            with running_app(tmp, "dhan", lambda: {"client_id": CLIENT_ID, "access_token": ACCESS_TOKEN},
                             DHAN_API_URL=dhan.url, DHAN_SCRIP_MASTER_URL=dhan.scrip_master_url,
                             DHAN_FEED_URL=feed.url, DHAN_ORDER_UPDATE_URL=orders.url) as app:
                yield Setup(app, dhan, feed, orders)
        finally:
            feed.close()
            orders.close()


def test_orders_and_books_have_the_paper_brokers_shapes(setup: Setup, openalgo_client: ClientVersion):
    books = orders_and_books_match_paper(setup.app, openalgo_client, ORDER)
    sent = setup.dhan.requests_to("/v2/orders", "POST")[-1].json
    assert (sent["securityId"], sent["exchangeSegment"], sent["transactionType"], sent["quantity"]) == \
        (SECURITY_ID, "NSE_EQ", "BUY", 1)
    assert sent["orderType"] == "MARKET" and sent["productType"] == "INTRADAY"
    assert books.placed["orderid"] in setup.dhan.orders
    # Dhan's recorded positions, named through the master
    assert {p["symbol"] for p in books.positions["data"]} >= {"NIFTY26DEC24FUT", SYMBOL}
    assert float(books.funds["data"]["availablecash"]) == 98440.0
    holdings = holdings_match_paper(setup.app, openalgo_client)
    assert {h["symbol"]: h["quantity"] for h in holdings["data"]["holdings"]} == {"HDFCBANK": 12, "TCS": 3}


def test_market_data_has_the_paper_brokers_shapes(setup: Setup, openalgo_client: ClientVersion):
    quote = quote_matches_paper(setup.app, openalgo_client, SYMBOL)
    assert quote["data"]["ltp"] == setup.dhan.ltp
    candles, paper_candles = history_matches_paper(setup.app, openalgo_client, SYMBOL)
    assert str(candles.index.tz) == str(paper_candles.index.tz) == "Asia/Kolkata"
    assert candles.index[0].hour == 9 and candles.index[0].minute == 15
    fetched = setup.dhan.requests_to("/v2/charts/intraday")[-1].json
    assert (fetched["interval"], fetched["securityId"], fetched["instrument"]) == (5, SECURITY_ID, "EQUITY")


def test_subscribe_quote_streams_dhans_binary_feed(setup: Setup, openalgo_client: ClientVersion):
    quote = streamed_quote_matches_paper(setup.app, openalgo_client, SYMBOL)
    assert abs(quote["ltp"] - STREAMED_LTP) < 1.01
    subscribed = [m for m in setup.feed.messages if m.get("RequestCode") == 17]
    assert subscribed and subscribed[-1]["InstrumentList"] == [{"ExchangeSegment": "NSE_EQ", "SecurityId": SECURITY_ID}]


def test_the_proxys_order_subscription_gets_dhans_pushes(setup: Setup):
    ws, version = proxy_order_feed(setup.app), ClientVersion(CLIENT_VERSIONS[0])
    try:
        assert wait_until(lambda: setup.orders.listeners >= 1, timeout=15)     # the proxy opened Dhan's stream
        placed = setup.app.client(version).placeorder(**ORDER)
        updates = proxy_order_updates(ws, placed["orderid"])
    finally:
        ws.close()
        version.close()
    assert updates and updates[-1]["symbol"] == SYMBOL and updates[-1]["broker"] == "dhan"
    assert updates[-1]["order_status"] in ("complete", "open")


def test_token_rejected_mid_day_is_one_call_then_broker_session_expired(setup: Setup, openalgo_client: ClientVersion):
    # a fresh token from web.dhan.co before logging in again: the next day's routine
    expired_token_is_one_call(setup.app, openalgo_client, setup.dhan, ORDER, "/v2/orders",
                              renew=setup.dhan.renew_token)


def test_the_2x_clients_subscribe_orders_gets_dhans_pushes(setup: Setup):
    version = ClientVersion(V2)
    try:
        client = subscribed_to_orders(setup.app, version, lambda: setup.orders.listeners >= 1)
        placed = client.placeorder(**{**ORDER, "price_type": "LIMIT", "price": setup.dhan.ltp - 10})
        seen = client.wait_for_events(lambda events: order_updates(events, placed["orderid"]), timeout=15)
        client.disconnect()
    finally:
        version.close()
    update = order_updates(seen, placed["orderid"])[-1]
    assert (update["symbol"], update["broker"], update["order_status"]) == (SYMBOL, "dhan", "open")
