"""Issue 20 acceptance: `python app.py` (with its WebSocket proxy) pointed at the fake Upstox (REST, the
protobuf market-data feed, the portfolio stream, the instrument file). One user connects Upstox the real
way (the authorization code Upstox puts on the callback URL, exchanged through
services.broker_session.connect, then the instrument download), another is on the paper broker; the
public `openalgo` client sees the same shapes from both, quotes stream from the protobuf feed, order
changes are pushed from the portfolio stream, and a token Upstox rejects mid-day is one broker call, a
clear "broker session expired" 403, and the session marked expired."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterator

import pytest
import requests

from tests.api.server import Server, flask_cli
from tests.fakes.upstox import AUTH_CODE, CLIENT_ID, CLIENT_SECRET, UpstoxServer
from tests.fakes.upstox.feed import base_price
from tests.foundation.test_server import _env_file
from tests.support.acceptance import create_user as _user, same_shape, shape
from tests.support.net import free_port, wait_for_http
from tests.support.openalgo_clients import CALLBACK, V2, ClientVersion
from tests.websocket_proxy.conftest import wait_until
from utils.config import PROJECT_ROOT

pytestmark = pytest.mark.xdist_group("upstox_acceptance")

SYMBOL, KEY = "SBIN", "NSE_EQ|INE062A01020"      # an NSE equity of the sample instrument file
ORDER = dict(strategy="accept", symbol=SYMBOL, action="BUY", exchange="NSE", price_type="MARKET", product="MIS",
             quantity=1)

CONNECT_UPSTOX = """
import sys
from app import create_app
from database.users import find_by_username
from services import broker_session, master_contract
app = create_app()
with app.app_context():
    user_id = find_by_username(sys.argv[1]).id
    broker_session.connect(user_id, "upstox", {"code": sys.argv[2]})
    live = broker_session.live_session(user_id)
    result = master_contract.download("upstox", live.plugin, session=live.session, force=True)
    print(result.state, result.rows)
"""


@dataclass
class Setup:
    server: Server
    upstox: UpstoxServer
    ws_url: str
    upstox_key: str
    paper_key: str

    def client(self, key: str, version: ClientVersion):  # noqa: ANN201
        return version.api(api_key=key, host=self.server.host, ws_url=self.ws_url)

    def connect_upstox(self) -> str:
        """The callback's work: exchange the code for a session, then load the instrument file."""
        env = {**os.environ, "OPENALGO_ENV_FILE": str(self.server.env_file), "FLASK_SKIP_DOTENV": "1"}
        for name in ("APP_KEY", "API_KEY_PEPPER", "DATABASE_URL", "FLASK_PORT"):
            env.pop(name, None)
        done = subprocess.run([sys.executable, "-c", CONNECT_UPSTOX, "upstoxuser", AUTH_CODE], cwd=PROJECT_ROOT,
                              env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    tmp = tmp_path_factory.mktemp("upstox_acceptance")
    upstox = UpstoxServer(feed_interval=0.1).__enter__()
    port, ws_port = free_port(), free_port()
    env_file = _env_file(tmp, port, ORDER_RATE_LIMIT="'10000 per second'", API_RATE_LIMIT="'10000 per second'",
                         VALID_BROKERS="upstox", UPSTOX_API_KEY=CLIENT_ID, UPSTOX_API_SECRET=CLIENT_SECRET,
                         UPSTOX_REDIRECT_URL=f"http://127.0.0.1:{port}/upstox/callback", UPSTOX_API_URL=upstox.url,
                         UPSTOX_ORDER_URL=upstox.url, UPSTOX_INSTRUMENTS_URL=upstox.instruments_url,
                         WEBSOCKET_PROXY_ENABLED="true", WEBSOCKET_PORT=str(ws_port), ZMQ_PORT=str(free_port()),
                         PAPER_TICK_INTERVAL_MS="100")
    paper_key = _user(env_file, "paperuser")
    flask_cli(env_file, "broker", "connect", "--username", "paperuser", "--broker", "paper")
    upstox_key = _user(env_file, "upstoxuser")
    server = Server(env_file, port, upstox_key)
    running = Setup(server, upstox, f"ws://127.0.0.1:{ws_port}", upstox_key, paper_key)
    assert running.connect_upstox().startswith("success")
    server.start()
    try:
        assert wait_until(lambda: wait_for_http(f"{server.host}/health").json()["websocket_proxy"]["status"] == "up",
                          timeout=30)
        yield running
    finally:
        output = server.stop()
        upstox.__exit__(None, None, None)
        assert "Traceback" not in output, output[-4000:]


def test_orders_and_books_have_the_paper_brokers_shapes(setup: Setup, openalgo_client: ClientVersion):
    upstox, paper = setup.client(setup.upstox_key, openalgo_client), setup.client(setup.paper_key, openalgo_client)
    placed = {name: client.placeorder(**ORDER) for name, client in (("upstox", upstox), ("paper", paper))}
    same_shape(placed["upstox"], placed["paper"])
    sent = setup.upstox.requests_to("/v3/order/place")[-1].json
    assert (sent["instrument_token"], sent["transaction_type"], sent["quantity"], sent["product"]) == \
        (KEY, "BUY", 1, "I")
    assert sent["order_type"] == "MARKET" and sent["slice"] is True
    assert placed["upstox"]["orderid"] in setup.upstox.orders

    status = upstox.orderstatus(order_id=placed["upstox"]["orderid"], strategy="accept")
    same_shape(status, paper.orderstatus(order_id=placed["paper"]["orderid"], strategy="accept"))
    assert status["data"]["symbol"] == SYMBOL and status["data"]["order_status"] in ("complete", "open")

    book = upstox.orderbook()
    same_shape(book, paper.orderbook())
    assert placed["upstox"]["orderid"] in {o["orderid"] for o in book["data"]["orders"]}
    same_shape(upstox.tradebook(), paper.tradebook())
    positions = upstox.positionbook()
    same_shape(positions, paper.positionbook())
    assert positions["data"] and all(p["exchange"] for p in positions["data"])
    holdings = upstox.holdings()
    assert holdings["status"] == "success" and holdings["data"]["holdings"][0]["symbol"] == "YESBANK"
    funds = upstox.funds()
    same_shape(funds, paper.funds())
    assert float(funds["data"]["availablecash"]) > 0


def test_market_data_has_the_paper_brokers_shapes(setup: Setup, openalgo_client: ClientVersion):
    upstox, paper = setup.client(setup.upstox_key, openalgo_client), setup.client(setup.paper_key, openalgo_client)
    quote = upstox.quotes(symbol=SYMBOL, exchange="NSE")
    same_shape(quote, paper.quotes(symbol=SYMBOL, exchange="NSE"))
    assert quote["data"]["ltp"] == base_price(KEY)
    depth = upstox.depth(symbol=SYMBOL, exchange="NSE")
    same_shape(depth, paper.depth(symbol=SYMBOL, exchange="NSE"))
    assert len(depth["data"]["bids"]) == 5

    end = date.today() - timedelta(days=1)
    window = dict(symbol=SYMBOL, exchange="NSE", interval="5m", start_date=str(end - timedelta(days=6)),
                  end_date=str(end))
    candles, paper_candles = upstox.history(**window), paper.history(**window)
    assert not isinstance(candles, dict), candles             # a DataFrame, as with paper
    assert list(candles.columns) == list(paper_candles.columns) and len(candles) > 0
    assert str(candles.index.tz) == str(paper_candles.index.tz) == "Asia/Kolkata"
    assert (candles.index[0].hour, candles.index[0].minute) == (9, 15)
    assert list(candles.index) == sorted(candles.index)
    assert setup.upstox.requests_to(f"/v3/historical-candle/{KEY}/minutes/5/{end}")


def test_subscribe_quote_streams_the_protobuf_feed(setup: Setup, openalgo_client: ClientVersion):
    shapes = {}
    for name, key in (("upstox", setup.upstox_key), ("paper", setup.paper_key)):
        client = setup.client(key, openalgo_client)
        assert client.connect() is True
        try:
            assert client.subscribe_quote([{"exchange": "NSE", "symbol": SYMBOL}])
            assert wait_until(lambda: client.get_quotes().get("quote", {}).get("NSE", {}).get(SYMBOL, {}).get("ltp"),
                              timeout=15), name
            quote = client.get_quotes()["quote"]["NSE"][SYMBOL]
            shapes[name] = shape(quote)
            if name == "upstox":
                assert 0 <= quote["ltp"] - base_price(KEY) < 1.0
        finally:
            client.disconnect()
    assert shapes["upstox"] == shapes["paper"]
    subscribed = [r for r in setup.upstox.feed.requests if r["method"] == "sub"]
    assert subscribed and subscribed[-1]["data"] == {"instrumentKeys": [KEY], "mode": "full"}


def test_token_rejected_mid_day_is_one_call_then_broker_session_expired(setup: Setup, openalgo_client: ClientVersion):
    upstox = setup.client(setup.upstox_key, openalgo_client)
    try:
        setup.upstox.expire_token()
        before = len(setup.upstox.requests)
        answer = requests.post(f"{setup.server.host}/api/v1/orderbook", json={"apikey": setup.upstox_key}, timeout=30)
        assert answer.status_code == 403 and answer.json()["message"].startswith("Broker session expired")
        assert [(r.method, r.path) for r in setup.upstox.requests[before:]] == [("GET", "/v2/order/retrieve-all")]
        for call in (lambda: upstox.quotes(symbol=SYMBOL, exchange="NSE"), upstox.funds,
                     lambda: upstox.placeorder(**ORDER)):
            refused = call()
            assert refused["status"] == "error" and refused["code"] == 403
        assert len(setup.upstox.requests) == before + 1       # refused here, without asking Upstox again
        state = json.loads(flask_cli(setup.server.env_file, "broker", "status", "--username", "upstoxuser"))
        assert state["state"] == "expired" and state["broker"] == "upstox"
    finally:
        assert setup.connect_upstox().startswith("success")     # log in again: the next day's routine
    assert upstox.funds()["status"] == "success"


def test_the_2x_clients_subscribe_orders_gets_upstoxs_pushed_updates(setup: Setup):
    """subscribe_orders exists in the 2.x client only: a LIMIT order placed and then cancelled reaches it as
    two order updates pushed from Upstox's portfolio stream."""
    version = ClientVersion(V2)
    try:
        client = setup.client(setup.upstox_key, version)
        assert client.connect() is True and client.subscribe_orders(on_order_update=CALLBACK) is True
        assert wait_until(lambda: setup.upstox.portfolio.accepted >= 1, timeout=15)
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
