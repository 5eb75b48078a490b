"""Issue 20 acceptance: `python app.py` (with its WebSocket proxy) pointed at the fake Upstox (REST, the
protobuf market-data feed, the portfolio stream, the instrument file), through the shared harness
(tests/support/acceptance.py). One user connects Upstox the real way (the authorization code Upstox puts
on the callback URL, exchanged through services.broker_session.connect, then the instrument download),
another is on the paper broker; the public `openalgo` client sees the same shapes from both, quotes
stream from the protobuf feed, order changes are pushed from the portfolio stream, and a token Upstox
rejects mid-day is one broker call, a clear "broker session expired" 403, and the session marked expired."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import pytest

from tests.fakes.upstox import AUTH_CODE, CLIENT_ID, CLIENT_SECRET, UpstoxServer
from tests.fakes.upstox.feed import base_price
from tests.support.acceptance import (BrokerApp, expired_token_is_one_call, history_matches_paper,
                                      holdings_match_paper, last_week, market_order, orders_and_books_match_paper,
                                      quote_matches_paper, running_app, streamed_quote_matches_paper,
                                      subscribed_to_orders)
from tests.support.net import free_port
from tests.support.openalgo_clients import V2, ClientVersion

pytestmark = pytest.mark.xdist_group("upstox_acceptance")

SYMBOL, KEY = "SBIN", "NSE_EQ|INE062A01020"      # an NSE equity of the sample instrument file
ORDER = market_order(SYMBOL)


@dataclass
class Setup:
    app: BrokerApp
    upstox: UpstoxServer


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    port = free_port()        # the redirect URL registered with the app names it
    with UpstoxServer(feed_interval=0.1) as upstox:
        # the callback's query: the authorization code Upstox puts on the redirect URL
        with running_app(tmp_path_factory.mktemp("upstox_acceptance"), "upstox", lambda: {"code": AUTH_CODE},
                         port=port, UPSTOX_API_KEY=CLIENT_ID, UPSTOX_API_SECRET=CLIENT_SECRET,
                         UPSTOX_REDIRECT_URL=f"http://127.0.0.1:{port}/upstox/callback", UPSTOX_API_URL=upstox.url,
                         UPSTOX_ORDER_URL=upstox.url, UPSTOX_INSTRUMENTS_URL=upstox.instruments_url) as app:
            yield Setup(app, upstox)


def test_orders_and_books_have_the_paper_brokers_shapes(setup: Setup, openalgo_client: ClientVersion):
    books = orders_and_books_match_paper(setup.app, openalgo_client, ORDER)
    sent = setup.upstox.requests_to("/v3/order/place")[-1].json
    assert (sent["instrument_token"], sent["transaction_type"], sent["quantity"], sent["product"]) == \
        (KEY, "BUY", 1, "I")
    assert sent["order_type"] == "MARKET" and sent["slice"] is True
    assert books.placed["orderid"] in setup.upstox.orders
    assert books.positions["data"] and all(p["exchange"] for p in books.positions["data"])
    assert holdings_match_paper(setup.app, openalgo_client)["data"]["holdings"][0]["symbol"] == "YESBANK"


def test_market_data_has_the_paper_brokers_shapes(setup: Setup, openalgo_client: ClientVersion):
    assert quote_matches_paper(setup.app, openalgo_client, SYMBOL)["data"]["ltp"] == base_price(KEY)
    candles, paper_candles = history_matches_paper(setup.app, openalgo_client, SYMBOL)
    assert str(candles.index.tz) == str(paper_candles.index.tz) == "Asia/Kolkata"
    assert (candles.index[0].hour, candles.index[0].minute) == (9, 15)
    assert list(candles.index) == sorted(candles.index)
    assert setup.upstox.requests_to(f"/v3/historical-candle/{KEY}/minutes/5/{last_week()[1]}")


def test_subscribe_quote_streams_the_protobuf_feed(setup: Setup, openalgo_client: ClientVersion):
    quote = streamed_quote_matches_paper(setup.app, openalgo_client, SYMBOL)
    assert 0 <= quote["ltp"] - base_price(KEY) < 1.0
    subscribed = [r for r in setup.upstox.feed.requests if r["method"] == "sub"]
    assert subscribed and subscribed[-1]["data"] == {"instrumentKeys": [KEY], "mode": "full"}


def test_token_rejected_mid_day_is_one_call_then_broker_session_expired(setup: Setup, openalgo_client: ClientVersion):
    expired_token_is_one_call(setup.app, openalgo_client, setup.upstox, ORDER, "/v2/order/retrieve-all")


def test_the_2x_clients_subscribe_orders_gets_upstoxs_pushed_updates(setup: Setup):
    """subscribe_orders exists in the 2.x client only: a LIMIT order placed and then cancelled reaches it as
    two order updates pushed from Upstox's portfolio stream."""
    version = ClientVersion(V2)
    try:
        client = subscribed_to_orders(setup.app, version, lambda: setup.upstox.portfolio.accepted >= 1)
        client.events()
        orderid = client.placeorder(**{**ORDER, "price_type": "LIMIT", "price": "1.5"})["orderid"]
        pushed = client.wait_for_events(lambda seen: any(e[1].get("orderid") == orderid for e in seen), 10.0)
        [update] = [e[1] for e in pushed if e[1].get("orderid") == orderid][:1]
        assert (update["type"], update["symbol"], update["broker"]) == ("order_update", SYMBOL, "upstox")
        assert update["order_status"] == "open"
        assert client.cancelorder(order_id=orderid, strategy="accept")["status"] == "success"
        got = client.wait_for_events(lambda seen: any(e[1].get("order_status") == "cancelled" for e in seen), 10.0)
        assert [e[1]["orderid"] for e in got if e[1].get("order_status") == "cancelled"] == [orderid]
        client.disconnect()
    finally:
        version.close()
