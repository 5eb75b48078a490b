"""Issue 10 acceptance: `python app.py` (with its WebSocket proxy) pointed at the fake Kite server and the
fake Kite ticker. One user logs in to Zerodha the real way (the request token Kite puts on the callback
URL, exchanged through services.broker_session.connect), another is connected to the paper broker by the
CLI; the public `openalgo` client gives both the same shapes, and a token Kite rejects mid-day is one
broker call, a clear "broker session expired" 403, and the session marked expired."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterator

import pytest
import requests

from tests.fakes.kite_server import API_KEY, API_SECRET, REQUEST_TOKEN, KiteServer
from tests.fakes.kite_ticker import KiteTickerServer
from tests.support.acceptance import (BrokerApp, expired_token_is_one_call, history_matches_paper, last_week,
                                      market_order, orders_and_books_match_paper, quote_matches_paper,
                                      running_app, streamed_quote_matches_paper, subscribed_to_orders)
from tests.support.net import free_port
from tests.support.openalgo_clients import V2, ClientVersion

pytestmark = pytest.mark.xdist_group("zerodha_acceptance")

SYMBOL, TOKEN = "ADANIPORTS", 3861249          # an NSE equity of the recorded Kite instrument dump
STREAMED_LTP = 100.0 + TOKEN % 1000 / 100        # what the fake ticker sends for it (tests/fakes/kite_ticker.py)
ORDER = market_order(SYMBOL)
# the query string Kite puts on the callback URL after the user logs in
LOGIN = {"request_token": REQUEST_TOKEN, "action": "login", "status": "success"}


@dataclass
class Setup:
    app: BrokerApp
    kite: KiteServer
    ticker: KiteTickerServer


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    tmp = tmp_path_factory.mktemp("zerodha_acceptance")
    with KiteServer() as kite:
        ticker = KiteTickerServer(interval=0.1)
        kite.order_listeners.append(ticker.push_order)   # Kite announces order changes on the ticker
        port = free_port()
        try:
            with running_app(tmp, "zerodha", lambda: LOGIN, port=port, BROKER_API_KEY=API_KEY,
                             BROKER_API_SECRET=API_SECRET, REDIRECT_URL=f"http://127.0.0.1:{port}/zerodha/callback",
                             ZERODHA_API_URL=kite.url, ZERODHA_TICKER_URL=ticker.url) as app:
                yield Setup(app, kite, ticker)
        finally:
            ticker.close()


# ------------------------------------------------------------------------------------------- tests
def test_orders_and_books_have_the_paper_brokers_shapes(setup: Setup, openalgo_client: ClientVersion):
    before = len(setup.kite.requests_to("/orders/", "POST"))
    books = orders_and_books_match_paper(setup.app, openalgo_client, ORDER, tradebook=False)
    [sent] = setup.kite.requests_to("/orders/", "POST")[before:]
    assert (sent.form["tradingsymbol"], sent.form["transaction_type"], sent.form["quantity"]) == (SYMBOL, "BUY", "1")
    assert sent.form["order_type"] == "MARKET" and sent.form["market_protection"] == "-1"
    assert books.placed["orderid"] in setup.kite.orders
    assert books.positions["data"] and all(p["exchange"] for p in books.positions["data"])   # Kite's recorded ones


def test_market_data_has_the_paper_brokers_shapes(setup: Setup, openalgo_client: ClientVersion):
    fetched_before = len(setup.kite.requests_to(f"/instruments/historical/{TOKEN}/5minute"))
    quote = quote_matches_paper(setup.app, openalgo_client, SYMBOL, depth=False)
    assert quote["data"]["ltp"] > 0 and setup.kite.requests_to("/quote", "GET")[-1].args["i"] == [f"NSE:{SYMBOL}"]

    candles, paper_candles = history_matches_paper(setup.app, openalgo_client, SYMBOL)
    assert str(candles.index.tz) == str(paper_candles.index.tz) == "Asia/Kolkata"
    assert all((t.hour, t.minute) == (9, 15) for t in candles.index)      # the fake's one bar a weekday
    [fetched] = setup.kite.requests_to(f"/instruments/historical/{TOKEN}/5minute")[fetched_before:]
    assert fetched.args["from"][0].startswith(str(last_week()[0]))


def test_subscribe_quote_streams_the_kite_ticker(setup: Setup, openalgo_client: ClientVersion):
    assert streamed_quote_matches_paper(setup.app, openalgo_client, SYMBOL)["ltp"] == STREAMED_LTP
    assert any(m.get("a") == "subscribe" and str(TOKEN) in json.dumps(m) for m in setup.ticker.messages)


def test_token_rejected_mid_day_is_one_call_then_broker_session_expired(setup: Setup, openalgo_client: ClientVersion):
    expired_token_is_one_call(setup.app, openalgo_client, setup.kite, ORDER, "/orders",
                              refusal="Zerodha session has expired. Reconnect Zerodha")


def test_token_rejected_on_a_quote_marks_the_session_expired_too(setup: Setup, openalgo_client: ClientVersion):
    zerodha = setup.app.client(openalgo_client)
    try:
        setup.kite.expire_token()
        before = len(setup.kite.requests)
        refused = zerodha.quotes(symbol=SYMBOL, exchange="NSE")
        assert refused["code"] == 403 and "Broker session expired" in refused["message"]
        assert [r.path for r in setup.kite.requests[before:]] == ["/quote"]
        start, end = last_week()
        again = zerodha.history(symbol=SYMBOL, exchange="NSE", interval="D", start_date=str(start),
                                end_date=str(end))
        assert again["code"] == 403 and len(setup.kite.requests) == before + 1
    finally:
        assert setup.app.connect_broker().startswith("success")


def test_kite_order_updates_reach_the_subscribed_client(setup: Setup):
    """The ticker's order message and a postback (the same change, as Kite sends both) each reach a 2.x
    client subscribed to order updates; a forged postback is refused."""
    version = ClientVersion(V2)   # subscribe_orders exists in the 2.x client only
    try:
        connections = len(setup.ticker.connections)
        # the proxy opens the user's order connection to the ticker (Kite, too, only tells open connections)
        client = subscribed_to_orders(setup.app, version, lambda: len(setup.ticker.connections) > connections)
        client.events()
        orderid = client.placeorder(**{**ORDER, "price_type": "LIMIT", "price": "1.5"})["orderid"]
        pushed = client.wait_for_events(lambda seen: any(e[1].get("orderid") == orderid for e in seen), 5.0)
        [update] = [e[1] for e in pushed if e[1].get("orderid") == orderid][:1]
        assert (update["type"], update["order_status"], update["symbol"], update["broker"]) == \
            ("order_update", "open", SYMBOL, "zerodha")

        payload = setup.kite.postback_payload({**setup.kite.orders[orderid], "status": "CANCELLED"})
        answer = requests.post(f"{setup.app.server.host}/postback/zerodha", json=payload, timeout=10)
        assert answer.status_code == 200 and answer.json()["delivered"] == 1, answer.text
        got = client.wait_for_events(lambda seen: any(e[1].get("order_status") == "cancelled" for e in seen), 5.0)
        assert [e[1]["orderid"] for e in got if e[1].get("order_status") == "cancelled"] == [orderid]
        forged = requests.post(f"{setup.app.server.host}/postback/zerodha", json={**payload, "checksum": "0" * 64}, timeout=10)
        assert forged.status_code == 403
        client.disconnect()
    finally:
        version.close()


def test_gtt_orders_go_to_kites_gtt_api(setup: Setup):
    version = ClientVersion(V2)   # GTT calls exist in the 2.x client only
    try:
        client = setup.app.client(version)
        ltp = client.quotes(symbol=SYMBOL, exchange="NSE")["data"]["ltp"]
        placed = client.placegttorder(strategy="accept", trigger_type="OCO", symbol=SYMBOL, action="SELL",
                                      exchange="NSE", product="CNC", quantity=1,
                                      triggerprice_sl=round(ltp * 0.9, 1), stoploss=round(ltp * 0.89, 1),
                                      triggerprice_tg=round(ltp * 1.1, 1), target=round(ltp * 1.11, 1))
        assert placed["status"] == "success", placed
        trigger_id = placed["trigger_id"]
        sent = setup.kite.requests_to("/gtt/triggers", "POST")[-1]
        assert sent.form["type"] == "two-leg" and json.loads(sent.form["condition"])["last_price"] == ltp
        listed = [g for g in client.gttorderbook()["data"] if g["trigger_id"] == trigger_id]
        assert listed and listed[0]["trigger_type"] == "two-leg" and listed[0]["symbol"] == SYMBOL
        assert client.cancelgttorder(trigger_id=trigger_id)["status"] == "success"
        assert trigger_id not in [g["trigger_id"] for g in client.gttorderbook()["data"]]
    finally:
        version.close()
