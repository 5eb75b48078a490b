"""Issue 22 acceptance: `python app.py` (with its WebSocket proxy) pointed at the fake Noren OMS as
Shoonya, through the shared harness (tests/support/acceptance.py). One user connects Shoonya the way its
OAuth login does (the code Shoonya's page sends back to /shoonya/callback, exchanged at GenAcsTok; then
the zipped symbol files download), another is on the paper broker; the public `openalgo` client — 1.0.47
and 2.0.5 — sees the same shapes from both, every Shoonya call carries the Bearer access token, quotes
stream from the Noren WebSocket, the 2.x client's subscribe_orders receives the OMS's `om` pushes, and a
session the OMS rejects mid-day is one broker call, a clear "broker session expired" 403 and the session
marked expired."""
from __future__ import annotations

from typing import Iterator

import pytest

from tests.brokers.noren.conftest import NorenApp, presented, running_noren_app
from tests.fakes.fixtures import fixture_json
from tests.fakes.noren.server import OAUTH_CODE, USER_ID
from tests.support.acceptance import (expired_token_is_one_call, history_matches_paper,
                                      holdings_match_paper, market_order, order_updates,
                                      orders_and_books_match_paper, quote_matches_paper,
                                      streamed_quote_matches_paper, subscribed_to_orders)
from tests.support.openalgo_clients import V2, ClientVersion

pytestmark = pytest.mark.xdist_group("shoonya_acceptance")

SYMBOL, TOKEN = "SBIN", "3045"             # an NSE equity of the recorded symbol file (paper has it too)
ORDER = market_order(SYMBOL)


def ltp(setup: NorenApp) -> float:
    return setup.noren.prices[("NSE", TOKEN)]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NorenApp]:
    # the callback's query: the code Shoonya's OAuth page sends back
    login = lambda: {"code": OAUTH_CODE}
    with running_noren_app(tmp_path_factory.mktemp("shoonya_acceptance"), "shoonya", login) as running:
        yield running


def test_orders_and_books_have_the_paper_brokers_shapes(setup: NorenApp, openalgo_client: ClientVersion):
    books = orders_and_books_match_paper(setup.app, openalgo_client, ORDER)
    placed = setup.noren.calls_to("PlaceOrder")[-1]
    assert presented(setup.noren, placed) and placed.path == "/NorenWClientAPI/PlaceOrder"
    sent = placed.jdata
    assert (sent["tsym"], sent["exch"], sent["trantype"], sent["qty"], sent["prctyp"], sent["prd"]) == \
        ("SBIN-EQ", "NSE", "B", "1", "MKT", "I")
    assert books.placed["orderid"] in setup.noren.orders and books.status["data"]["order_status"] == "complete"
    assert any(p["symbol"] == SYMBOL for p in books.positions["data"])
    limits = fixture_json("noren", "limits.json")
    assert float(books.funds["data"]["availablecash"]) == round(float(limits["cash"]) - float(limits["marginused"]), 2)
    holdings = holdings_match_paper(setup.app, openalgo_client)
    assert {h["symbol"]: h["quantity"] for h in holdings["data"]["holdings"]} == {"ACC": 10}


def test_market_data_has_the_paper_brokers_shapes(setup: NorenApp, openalgo_client: ClientVersion):
    quote = quote_matches_paper(setup.app, openalgo_client, SYMBOL)
    assert quote["data"]["ltp"] == ltp(setup)
    candles, _ = history_matches_paper(setup.app, openalgo_client, SYMBOL)
    assert candles.index[0].hour == 9 and candles.index[0].minute == 15
    fetched = setup.noren.calls_to("TPSeries")[-1].jdata
    assert (fetched["intrv"], fetched["token"], fetched["exch"]) == ("5", TOKEN, "NSE")


def test_subscribe_quote_streams_the_noren_websocket(setup: NorenApp, openalgo_client: ClientVersion):
    quote = streamed_quote_matches_paper(setup.app, openalgo_client, SYMBOL)
    assert abs(quote["ltp"] - ltp(setup)) < 0.3
    assert {"t": "t", "k": f"NSE|{TOKEN}"} in setup.feed.received
    assert setup.feed.logins[-1]["susertoken"] == setup.noren.session_token     # GenAcsTok's feed token


def test_the_2x_clients_subscribe_orders_gets_the_oms_pushes(setup: NorenApp):
    version = ClientVersion(V2)
    try:
        client = subscribed_to_orders(setup.app, version, lambda: {"t": "o", "actid": USER_ID} in setup.feed.received)
        placed = client.placeorder(**{**ORDER, "price_type": "LIMIT", "price": round(ltp(setup) * 0.8, 1)})
        assert placed["status"] == "success", placed
        assert client.cancelorder(order_id=placed["orderid"], strategy="accept")["status"] == "success"
        seen = client.wait_for_events(
            lambda events: {"open", "cancelled"} <= {u["order_status"] for u in order_updates(events, placed["orderid"])},
            timeout=15)
        client.disconnect()
    finally:
        version.close()
    updates = order_updates(seen, placed["orderid"])
    statuses = [u["order_status"] for u in updates]
    assert statuses.index("open") < statuses.index("cancelled"), statuses
    assert all((u["symbol"], u["broker"], u["exchange"]) == (SYMBOL, "shoonya", "NSE") for u in updates)


def test_session_rejected_mid_day_is_one_call_then_broker_session_expired(setup: NorenApp, openalgo_client: ClientVersion):
    expired_token_is_one_call(setup.app, openalgo_client, setup.noren, ORDER, "/NorenWClientAPI/OrderBook",
                              book_method="POST")


def test_margin_of_an_fno_basket_comes_from_shoonyas_calculator(setup: NorenApp, openalgo_client: ClientVersion):
    expiry = setup.noren.expiry.strftime("%d%b%y").upper()
    positions = [{"symbol": f"NIFTY{expiry}FUT", "exchange": "NFO", "action": "SELL", "product": "NRML",
                  "pricetype": "MARKET", "quantity": "75"},
                 {"symbol": f"NIFTY{expiry}23000CE", "exchange": "NFO", "action": "BUY", "product": "NRML",
                  "pricetype": "MARKET", "quantity": "75"}]
    answer = setup.app.client(openalgo_client).margin(positions=positions)
    assert answer["status"] == "success", answer
    basket = setup.noren.calls_to("GetBasketMargin")[-1].jdata
    assert (basket["tsym"], basket["basketlists"][0]["tsym"]) == (f"NIFTY{expiry}F", f"NIFTY{expiry}C23000")
    notional = 75 * (setup.noren.prices[("NFO", "35001")] + setup.noren.prices[("NFO", "35002")])
    assert answer["data"]["total_margin_required"] == pytest.approx(notional, abs=0.01)
    assert answer["data"]["span_margin"] == pytest.approx(notional * 0.1, abs=0.01)


def test_a_single_gtt_goes_to_noren_and_comes_back_in_the_book(setup: NorenApp):
    version = ClientVersion(V2)   # GTT calls exist in the 2.x client only
    try:
        client = setup.app.client(version)
        trigger = round(ltp(setup) * 1.05, 1)
        placed = client.placegttorder(strategy="accept", trigger_type="SINGLE", symbol=SYMBOL, action="BUY",
                                      exchange="NSE", product="CNC", quantity=1, price_type="LIMIT",
                                      price=trigger + 1, triggerprice_tg=trigger)
        assert placed["status"] == "success", placed
        sent = setup.noren.calls_to("PlaceGTTOrder")[-1].jdata
        assert (sent["ai_t"], sent["d"], sent["tsym"], sent["prd"]) == ("LTP_A_O", str(trigger), "SBIN-EQ", "C")
        listed = [g for g in client.gttorderbook()["data"] if g["trigger_id"] == placed["trigger_id"]]
        assert listed and listed[0]["symbol"] == SYMBOL
        assert client.cancelgttorder(trigger_id=placed["trigger_id"])["status"] == "success"
        assert placed["trigger_id"] not in setup.noren.gtts
        oco = client.placegttorder(strategy="accept", trigger_type="OCO", symbol=SYMBOL, action="SELL", exchange="NSE",
                                   product="CNC", quantity=1, triggerprice_sl=round(ltp(setup) * 0.9, 1),
                                   stoploss=round(ltp(setup) * 0.89, 1), triggerprice_tg=trigger, target=trigger + 1)
        assert oco["status"] == "error" and "trigger_type" in oco["message"], oco
    finally:
        version.close()
