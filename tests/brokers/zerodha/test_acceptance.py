"""Issue 10 acceptance: `python app.py` (with its WebSocket proxy) pointed at the fake Kite server and the
fake Kite ticker. One user logs in to Zerodha the real way (the request token Kite puts on the callback
URL, exchanged through services.broker_session.connect), another is connected to the paper broker by the
CLI; the public `openalgo` client gives both the same shapes, and a token Kite rejects mid-day is one
broker call, a clear "broker session expired" 403, and the session marked expired."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from tests.api.server import Server, flask_cli
from tests.fakes.kite_server import API_KEY, API_SECRET, REQUEST_TOKEN, KiteServer
from tests.fakes.kite_ticker import KiteTickerServer
from tests.foundation.test_server import _env_file
from tests.support.net import free_port, wait_for_http
from tests.support.openalgo_clients import CALLBACK, V2, ClientVersion
from tests.websocket_proxy.conftest import wait_until
from utils.config import PROJECT_ROOT
from utils.market_calendar import now_ist

pytestmark = pytest.mark.xdist_group("zerodha_acceptance")

SYMBOL, TOKEN = "ADANIPORTS", 3861249          # an NSE equity of the recorded Kite instrument dump
STREAMED_LTP = 100.0 + TOKEN % 1000 / 100        # what the fake ticker sends for it (tests/fakes/kite_ticker.py)
ORDER = dict(strategy="accept", symbol=SYMBOL, action="BUY", exchange="NSE", price_type="MARKET", product="MIS",
             quantity=1)

CONNECT_ZERODHA = """
import sys
from app import create_app
from database.users import find_by_username
from services import broker_session, master_contract
app = create_app()
with app.app_context():
    user_id = find_by_username(sys.argv[1]).id
    broker_session.connect(user_id, "zerodha", {"request_token": sys.argv[2], "action": "login", "status": "success"})
    live = broker_session.live_session(user_id)
    result = master_contract.download("zerodha", live.plugin, session=live.session, force=True)
    print(result.state, result.rows)
"""


@dataclass
class Setup:
    server: Server
    kite: KiteServer
    ticker: KiteTickerServer
    ws_url: str
    zerodha_key: str
    paper_key: str

    def client(self, key: str, version: ClientVersion):  # noqa: ANN201
        return version.api(api_key=key, host=self.server.host, ws_url=self.ws_url)

    def connect_zerodha(self) -> str:
        """The callback's work: exchange the request token for a session, then load the instrument list."""
        env = {**os.environ, "OPENALGO_ENV_FILE": str(self.server.env_file), "FLASK_SKIP_DOTENV": "1"}
        for name in ("APP_KEY", "API_KEY_PEPPER", "DATABASE_URL", "FLASK_PORT"):
            env.pop(name, None)
        done = subprocess.run([sys.executable, "-c", CONNECT_ZERODHA, "kiteuser", REQUEST_TOKEN], cwd=PROJECT_ROOT,
                              env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout.strip().splitlines()[-1]


def _user(env_file: Path, username: str) -> str:
    flask_cli(env_file, "user", "create", "--username", username, "--email", f"{username}@example.com",
              "--password", "correct-horse-42", *(["--force"] if username != "paperuser" else []))
    return flask_cli(env_file, "apikey", "create", "--username", username).splitlines()[-1].strip()


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    tmp = tmp_path_factory.mktemp("zerodha_acceptance")
    kite = KiteServer().__enter__()
    ticker = KiteTickerServer(interval=0.1)
    kite.order_listeners.append(ticker.push_order)   # Kite announces order changes on the ticker
    port, ws_port = free_port(), free_port()
    env_file = _env_file(tmp, port, ORDER_RATE_LIMIT="'10000 per second'", API_RATE_LIMIT="'10000 per second'",
                         VALID_BROKERS="zerodha", BROKER_API_KEY=API_KEY, BROKER_API_SECRET=API_SECRET,
                         REDIRECT_URL=f"http://127.0.0.1:{port}/zerodha/callback", ZERODHA_API_URL=kite.url,
                         ZERODHA_TICKER_URL=ticker.url, WEBSOCKET_PROXY_ENABLED="true",
                         WEBSOCKET_PORT=str(ws_port), ZMQ_PORT=str(free_port()), PAPER_TICK_INTERVAL_MS="100")
    paper_key = _user(env_file, "paperuser")
    flask_cli(env_file, "broker", "connect", "--username", "paperuser", "--broker", "paper")
    zerodha_key = _user(env_file, "kiteuser")
    server = Server(env_file, port, zerodha_key)
    running = Setup(server, kite, ticker, f"ws://127.0.0.1:{ws_port}", zerodha_key, paper_key)
    assert running.connect_zerodha().startswith("success")
    server.start()
    try:
        assert wait_until(lambda: wait_for_http(f"{server.host}/health").json()["websocket_proxy"]["status"] == "up",
                          timeout=30)
        yield running
    finally:
        output = server.stop()
        ticker.close()
        kite.__exit__(None, None, None)
        assert "Traceback" not in output, output[-4000:]


# ------------------------------------------------------------------------------------------ shapes
def shape(value: Any) -> Any:
    """The structure a script sees: keys, list items (first one), and kinds of scalars."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if isinstance(value, bool) or value is None:
        return type(value).__name__
    return "number" if isinstance(value, (int, float)) else type(value).__name__


def same_shape(zerodha: dict, paper: dict) -> None:
    assert zerodha["status"] == paper["status"] == "success", (zerodha, paper)
    assert shape(zerodha) == shape(paper), json.dumps({"zerodha": zerodha, "paper": paper}, default=str)[:3000]


# ------------------------------------------------------------------------------------------- tests
def test_orders_and_books_have_the_paper_brokers_shapes(setup: Setup, openalgo_client: ClientVersion):
    zerodha, paper = setup.client(setup.zerodha_key, openalgo_client), setup.client(setup.paper_key, openalgo_client)
    before = len(setup.kite.requests_to("/orders/", "POST"))
    placed = {name: client.placeorder(**ORDER) for name, client in (("zerodha", zerodha), ("paper", paper))}
    same_shape(placed["zerodha"], placed["paper"])
    [sent] = setup.kite.requests_to("/orders/", "POST")[before:]
    assert (sent.form["tradingsymbol"], sent.form["transaction_type"], sent.form["quantity"]) == (SYMBOL, "BUY", "1")
    assert sent.form["order_type"] == "MARKET" and sent.form["market_protection"] == "-1"
    assert placed["zerodha"]["orderid"] in setup.kite.orders

    status = zerodha.orderstatus(order_id=placed["zerodha"]["orderid"], strategy="accept")
    same_shape(status, paper.orderstatus(order_id=placed["paper"]["orderid"], strategy="accept"))
    assert status["data"]["symbol"] == SYMBOL and status["data"]["order_status"] in ("complete", "open")

    book = zerodha.orderbook()
    same_shape(book, paper.orderbook())
    assert placed["zerodha"]["orderid"] in {o["orderid"] for o in book["data"]["orders"]}
    positions = zerodha.positionbook()                # Kite's recorded positions, mapped
    same_shape(positions, paper.positionbook())
    assert positions["data"] and all(p["exchange"] for p in positions["data"])
    funds = zerodha.funds()
    same_shape(funds, paper.funds())
    assert float(funds["data"]["availablecash"]) > 0


def test_market_data_has_the_paper_brokers_shapes(setup: Setup, openalgo_client: ClientVersion):
    zerodha, paper = setup.client(setup.zerodha_key, openalgo_client), setup.client(setup.paper_key, openalgo_client)
    fetched_before = len(setup.kite.requests_to(f"/instruments/historical/{TOKEN}/5minute"))
    quote = zerodha.quotes(symbol=SYMBOL, exchange="NSE")
    same_shape(quote, paper.quotes(symbol=SYMBOL, exchange="NSE"))
    assert quote["data"]["ltp"] > 0 and setup.kite.requests_to("/quote", "GET")[-1].args["i"] == [f"NSE:{SYMBOL}"]

    end = now_ist().date() - timedelta(days=1)
    window = dict(symbol=SYMBOL, exchange="NSE", interval="5m", start_date=str(end - timedelta(days=6)),
                  end_date=str(end))
    candles, paper_candles = zerodha.history(**window), paper.history(**window)
    assert not isinstance(candles, dict), candles             # a DataFrame, as with paper
    assert list(candles.columns) == list(paper_candles.columns) and len(candles) > 0
    assert str(candles.index.tz) == str(paper_candles.index.tz) == "Asia/Kolkata"
    assert all((t.hour, t.minute) == (9, 15) for t in candles.index)      # the fake's one bar a weekday
    [fetched] = setup.kite.requests_to(f"/instruments/historical/{TOKEN}/5minute")[fetched_before:]
    assert fetched.args["from"][0].startswith(str(end - timedelta(days=6)))


def test_subscribe_quote_streams_the_kite_ticker(setup: Setup, openalgo_client: ClientVersion):
    shapes = {}
    for name, key in (("zerodha", setup.zerodha_key), ("paper", setup.paper_key)):
        client = setup.client(key, openalgo_client)
        assert client.connect() is True
        try:
            assert client.subscribe_quote([{"exchange": "NSE", "symbol": SYMBOL}])
            assert wait_until(lambda: client.get_quotes().get("quote", {}).get("NSE", {}).get(SYMBOL, {}).get("ltp"),
                              timeout=15), name
            quote = client.get_quotes()["quote"]["NSE"][SYMBOL]
            shapes[name] = shape(quote)
            if name == "zerodha":
                assert quote["ltp"] == STREAMED_LTP
        finally:
            client.disconnect()
    assert shapes["zerodha"] == shapes["paper"]
    assert any(m.get("a") == "subscribe" and str(TOKEN) in json.dumps(m) for m in setup.ticker.messages)


def test_token_rejected_mid_day_is_one_call_then_broker_session_expired(setup: Setup, openalgo_client: ClientVersion):
    zerodha = setup.client(setup.zerodha_key, openalgo_client)
    try:
        setup.kite.expire_token()
        before = len(setup.kite.requests)
        answer = requests.post(f"{setup.server.host}/api/v1/orderbook", json={"apikey": setup.zerodha_key}, timeout=30)
        assert answer.status_code == 403
        assert answer.json()["message"].startswith("Broker session expired")
        assert "Reconnect" in answer.json()["message"]
        assert [(r.method, r.path) for r in setup.kite.requests[before:]] == [("GET", "/orders")]   # no retry loop

        for call in (lambda: zerodha.quotes(symbol=SYMBOL, exchange="NSE"), zerodha.funds,
                     lambda: zerodha.placeorder(**ORDER)):
            refused = call()
            assert refused["status"] == "error" and refused["code"] == 403
            assert "Zerodha session has expired. Reconnect Zerodha" in refused["message"]
        assert len(setup.kite.requests) == before + 1       # refused here, without asking Kite again
        state = json.loads(flask_cli(setup.server.env_file, "broker", "status", "--username", "kiteuser"))
        assert state["state"] == "expired" and state["broker"] == "zerodha"
    finally:
        assert setup.connect_zerodha().startswith("success")     # log in again: the next day's routine
    assert zerodha.funds()["status"] == "success"


def test_token_rejected_on_a_quote_marks_the_session_expired_too(setup: Setup, openalgo_client: ClientVersion):
    zerodha = setup.client(setup.zerodha_key, openalgo_client)
    try:
        setup.kite.expire_token()
        before = len(setup.kite.requests)
        refused = zerodha.quotes(symbol=SYMBOL, exchange="NSE")
        assert refused["code"] == 403 and "Broker session expired" in refused["message"]
        assert [r.path for r in setup.kite.requests[before:]] == ["/quote"]
        again = zerodha.history(symbol=SYMBOL, exchange="NSE", interval="D", start_date="2026-01-05",
                                end_date="2026-01-09")
        assert again["code"] == 403 and len(setup.kite.requests) == before + 1
    finally:
        assert setup.connect_zerodha().startswith("success")


def test_kite_order_updates_reach_the_subscribed_client(setup: Setup):
    """The ticker's order message and a postback (the same change, as Kite sends both) each reach a 2.x
    client subscribed to order updates; a forged postback is refused."""
    version = ClientVersion(V2)   # subscribe_orders exists in the 2.x client only
    try:
        client = setup.client(setup.zerodha_key, version)
        connections = len(setup.ticker.connections)
        assert client.connect() is True and client.subscribe_orders(on_order_update=CALLBACK) is True
        # the proxy opens the user's order connection to the ticker (Kite, too, only tells open connections)
        assert wait_until(lambda: len(setup.ticker.connections) > connections, timeout=15)
        client.events()
        orderid = client.placeorder(**{**ORDER, "price_type": "LIMIT", "price": "1.5"})["orderid"]
        pushed = client.wait_for_events(lambda seen: any(e[1].get("orderid") == orderid for e in seen), 5.0)
        [update] = [e[1] for e in pushed if e[1].get("orderid") == orderid][:1]
        assert (update["type"], update["order_status"], update["symbol"], update["broker"]) == \
            ("order_update", "open", SYMBOL, "zerodha")

        payload = setup.kite.postback_payload({**setup.kite.orders[orderid], "status": "CANCELLED"})
        answer = requests.post(f"{setup.server.host}/postback/zerodha", json=payload, timeout=10)
        assert answer.status_code == 200 and answer.json()["delivered"] == 1, answer.text
        got = client.wait_for_events(lambda seen: any(e[1].get("order_status") == "cancelled" for e in seen), 5.0)
        assert [e[1]["orderid"] for e in got if e[1].get("order_status") == "cancelled"] == [orderid]
        forged = requests.post(f"{setup.server.host}/postback/zerodha", json={**payload, "checksum": "0" * 64}, timeout=10)
        assert forged.status_code == 403
        client.disconnect()
    finally:
        version.close()


def test_gtt_orders_go_to_kites_gtt_api(setup: Setup):
    version = ClientVersion(V2)   # GTT calls exist in the 2.x client only
    try:
        client = setup.client(setup.zerodha_key, version)
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
