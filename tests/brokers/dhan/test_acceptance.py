"""Issue 21 acceptance: `python app.py` (with its WebSocket proxy) pointed at the fake Dhan endpoints
(REST, scrip master, binary market feed, order updates). One user connects Dhan the way the login form
does (client id and an access token, checked at Dhan, then the scrip master download), another is on the
paper broker; the public `openalgo` client sees the same shapes from both, quotes stream from Dhan's
binary feed, order changes are pushed from Dhan's order-update stream, and a token Dhan rejects mid-day
is one broker call, a clear "broker session expired" 403, and the session marked expired. The same
script runs with both public client versions (1.0.47 and 2.0.5), and the 2.x client's subscribe_orders
receives Dhan's pushes."""
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
from openalgo import api

from tests.api.server import Server, flask_cli
from tests.brokers.angel.test_acceptance import _order_updates, _proxy
from tests.brokers.zerodha.test_acceptance import _user, same_shape, shape
from tests.fakes.dhan import ACCESS_TOKEN, CLIENT_ID, DhanFeedServer, DhanServer, OrderUpdateServer
from tests.foundation.test_server import _env_file
from tests.support.net import free_port, wait_for_http
from tests.support.openalgo_clients import CALLBACK, V2, ClientVersion
from tests.websocket_proxy.conftest import wait_until
from utils.config import PROJECT_ROOT

pytestmark = pytest.mark.xdist_group("dhan_acceptance")

SYMBOL, SECURITY_ID = "HDFCBANK", "1333"          # an NSE equity of the recorded scrip master
STREAMED_LTP = 100 + int(SECURITY_ID) % 1000 / 10   # the fake feed's base price for it (tests/fakes/dhan/feed.py)
ORDER = dict(strategy="accept", symbol=SYMBOL, action="BUY", exchange="NSE", price_type="MARKET", product="MIS",
             quantity=1)

CONNECT_DHAN = """
import sys
from app import create_app
from database.users import find_by_username
from services import broker_session, master_contract
app = create_app()
with app.app_context():
    user_id = find_by_username(sys.argv[1]).id
    broker_session.connect(user_id, "dhan", {"client_id": sys.argv[2], "access_token": sys.argv[3]})
    live = broker_session.live_session(user_id)
    result = master_contract.download("dhan", live.plugin, session=live.session, force=True)
    print(result.state, result.rows)
"""


@dataclass
class Setup:
    server: Server
    dhan: DhanServer
    feed: DhanFeedServer
    orders: OrderUpdateServer
    ws_url: str
    dhan_key: str
    paper_key: str

    def client(self, key: str):  # noqa: ANN201
        return api(api_key=key, host=self.server.host, ws_url=self.ws_url)

    def connect_dhan(self) -> str:
        env = {**os.environ, "OPENALGO_ENV_FILE": str(self.server.env_file), "FLASK_SKIP_DOTENV": "1"}
        for name in ("APP_KEY", "API_KEY_PEPPER", "DATABASE_URL", "FLASK_PORT"):
            env.pop(name, None)
        done = subprocess.run([sys.executable, "-c", CONNECT_DHAN, "dhanuser", CLIENT_ID, ACCESS_TOKEN],
                              cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    tmp = tmp_path_factory.mktemp("dhan_acceptance")
    dhan = DhanServer().__enter__()
    feed = DhanFeedServer(interval=0.1)
    orders = OrderUpdateServer()
    dhan.order_updates = orders
    port, ws_port = free_port(), free_port()
    env_file = _env_file(tmp, port, ORDER_RATE_LIMIT="'10000 per second'", API_RATE_LIMIT="'10000 per second'",
                         VALID_BROKERS="dhan", DHAN_API_URL=dhan.url, DHAN_SCRIP_MASTER_URL=dhan.scrip_master_url,
                         DHAN_FEED_URL=feed.url, DHAN_ORDER_UPDATE_URL=orders.url, WEBSOCKET_PROXY_ENABLED="true",
                         WEBSOCKET_PORT=str(ws_port), ZMQ_PORT=str(free_port()), PAPER_TICK_INTERVAL_MS="100")
    paper_key = _user(env_file, "paperuser")
    flask_cli(env_file, "broker", "connect", "--username", "paperuser", "--broker", "paper")
    dhan_key = _user(env_file, "dhanuser")
    server = Server(env_file, port, dhan_key)
    running = Setup(server, dhan, feed, orders, f"ws://127.0.0.1:{ws_port}", dhan_key, paper_key)
    assert running.connect_dhan().startswith("success")
    server.start()
    try:
        assert wait_until(lambda: wait_for_http(f"{server.host}/health").json()["websocket_proxy"]["status"] == "up",
                          timeout=30)
        yield running
    finally:
        output = server.stop()
        feed.close()
        orders.close()
        dhan.__exit__(None, None, None)
        assert "Traceback" not in output, output[-4000:]


def test_orders_and_books_have_the_paper_brokers_shapes(setup: Setup):
    dhan, paper = setup.client(setup.dhan_key), setup.client(setup.paper_key)
    placed = {name: client.placeorder(**ORDER) for name, client in (("dhan", dhan), ("paper", paper))}
    same_shape(placed["dhan"], placed["paper"])
    sent = setup.dhan.requests_to("/v2/orders", "POST")[-1].json
    assert (sent["securityId"], sent["exchangeSegment"], sent["transactionType"], sent["quantity"]) == \
        (SECURITY_ID, "NSE_EQ", "BUY", 1)
    assert sent["orderType"] == "MARKET" and sent["productType"] == "INTRADAY"
    assert placed["dhan"]["orderid"] in setup.dhan.orders

    status = dhan.orderstatus(order_id=placed["dhan"]["orderid"], strategy="accept")
    same_shape(status, paper.orderstatus(order_id=placed["paper"]["orderid"], strategy="accept"))
    assert status["data"]["symbol"] == SYMBOL and status["data"]["order_status"] in ("complete", "open")

    book = dhan.orderbook()
    same_shape(book, paper.orderbook())
    assert placed["dhan"]["orderid"] in {o["orderid"] for o in book["data"]["orders"]}
    same_shape(dhan.tradebook(), paper.tradebook())
    positions = dhan.positionbook()                  # Dhan's recorded positions, named through the master
    same_shape(positions, paper.positionbook())
    assert {p["symbol"] for p in positions["data"]} >= {"NIFTY26DEC24FUT", SYMBOL}
    holdings, paper_holdings = dhan.holdings(), paper.holdings()
    assert shape(holdings["data"]["statistics"]) == shape(paper_holdings["data"]["statistics"])
    assert {h["symbol"]: h["quantity"] for h in holdings["data"]["holdings"]} == {"HDFCBANK": 12, "TCS": 3}
    funds = dhan.funds()
    same_shape(funds, paper.funds())
    assert float(funds["data"]["availablecash"]) == 98440.0


def test_market_data_has_the_paper_brokers_shapes(setup: Setup):
    dhan, paper = setup.client(setup.dhan_key), setup.client(setup.paper_key)
    quote = dhan.quotes(symbol=SYMBOL, exchange="NSE")
    same_shape(quote, paper.quotes(symbol=SYMBOL, exchange="NSE"))
    assert quote["data"]["ltp"] == setup.dhan.ltp
    depth = dhan.depth(symbol=SYMBOL, exchange="NSE")
    same_shape(depth, paper.depth(symbol=SYMBOL, exchange="NSE"))
    assert len(depth["data"]["bids"]) == 5

    end = date.today() - timedelta(days=1)
    window = dict(symbol=SYMBOL, exchange="NSE", interval="5m", start_date=str(end - timedelta(days=6)),
                  end_date=str(end))
    candles, paper_candles = dhan.history(**window), paper.history(**window)
    assert not isinstance(candles, dict), candles             # a DataFrame, as with paper
    assert list(candles.columns) == list(paper_candles.columns) and len(candles) > 0
    assert str(candles.index.tz) == str(paper_candles.index.tz) == "Asia/Kolkata"
    assert candles.index[0].hour == 9 and candles.index[0].minute == 15
    fetched = setup.dhan.requests_to("/v2/charts/intraday")[-1].json
    assert (fetched["interval"], fetched["securityId"], fetched["instrument"]) == (5, SECURITY_ID, "EQUITY")


def test_subscribe_quote_streams_dhans_binary_feed(setup: Setup):
    shapes = {}
    for name, key in (("dhan", setup.dhan_key), ("paper", setup.paper_key)):
        client = setup.client(key)
        assert client.connect() is True
        try:
            assert client.subscribe_quote([{"exchange": "NSE", "symbol": SYMBOL}])
            assert wait_until(lambda: client.get_quotes().get("quote", {}).get("NSE", {}).get(SYMBOL, {}).get("ltp"),
                              timeout=15), name
            quote = client.get_quotes()["quote"]["NSE"][SYMBOL]
            shapes[name] = shape(quote)
            if name == "dhan":
                assert abs(quote["ltp"] - STREAMED_LTP) < 1.01
        finally:
            client.disconnect()
    assert shapes["dhan"] == shapes["paper"]
    subscribed = [m for m in setup.feed.messages if m.get("RequestCode") == 17]
    assert subscribed and subscribed[-1]["InstrumentList"] == [{"ExchangeSegment": "NSE_EQ", "SecurityId": SECURITY_ID}]


def test_subscribe_orders_gets_dhans_pushed_order_updates(setup: Setup):
    ws = _proxy(setup, setup.dhan_key)
    try:
        assert wait_until(lambda: setup.orders.listeners >= 1, timeout=15)     # the proxy opened Dhan's stream
        placed = setup.client(setup.dhan_key).placeorder(**ORDER)
        updates = _order_updates(ws, placed["orderid"])
    finally:
        ws.close()
    assert updates and updates[-1]["symbol"] == SYMBOL and updates[-1]["broker"] == "dhan"
    assert updates[-1]["order_status"] in ("complete", "open")


def test_token_rejected_mid_day_is_one_call_then_broker_session_expired(setup: Setup):
    dhan = setup.client(setup.dhan_key)
    try:
        setup.dhan.expire_token()
        before = len(setup.dhan.requests)
        answer = requests.post(f"{setup.server.host}/api/v1/orderbook", json={"apikey": setup.dhan_key}, timeout=30)
        assert answer.status_code == 403 and answer.json()["message"].startswith("Broker session expired")
        assert [(r.method, r.path) for r in setup.dhan.requests[before:]] == [("GET", "/v2/orders")]   # no retry loop
        for call in (lambda: dhan.quotes(symbol=SYMBOL, exchange="NSE"), dhan.funds,
                     lambda: dhan.placeorder(**ORDER)):
            refused = call()
            assert refused["status"] == "error" and refused["code"] == 403
        assert len(setup.dhan.requests) == before + 1       # refused here, without asking Dhan again
        state = json.loads(flask_cli(setup.server.env_file, "broker", "status", "--username", "dhanuser"))
        assert state["state"] == "expired" and state["broker"] == "dhan"
    finally:
        setup.dhan.renew_token()                          # a fresh token from web.dhan.co: the next day's routine
        assert setup.connect_dhan().startswith("success")
    assert dhan.funds()["status"] == "success"


# ------------------------------------------------------------------- both public clients (1.0.47 and 2.0.5)
def test_a_script_runs_unchanged_with_each_client_version(setup: Setup, openalgo_client: ClientVersion):
    client = openalgo_client.api(api_key=setup.dhan_key, host=setup.server.host, ws_url=setup.ws_url)
    placed = client.placeorder(**ORDER)
    assert placed["status"] == "success", placed
    status = client.orderstatus(order_id=placed["orderid"], strategy="accept")
    assert status["data"]["symbol"] == SYMBOL and status["data"]["order_status"] in ("complete", "open")
    assert placed["orderid"] in {o["orderid"] for o in client.orderbook()["data"]["orders"]}
    assert client.tradebook()["status"] == client.positionbook()["status"] == "success"
    assert float(client.funds()["data"]["availablecash"]) == 98440.0
    assert client.quotes(symbol=SYMBOL, exchange="NSE")["data"]["ltp"] == setup.dhan.ltp
    end = date.today() - timedelta(days=1)
    candles = client.history(symbol=SYMBOL, exchange="NSE", interval="5m", start_date=str(end - timedelta(days=6)),
                             end_date=str(end))
    assert not isinstance(candles, dict) and len(candles) > 0, candles
    assert client.connect() is True
    try:
        assert client.subscribe_quote([{"exchange": "NSE", "symbol": SYMBOL}])
        assert wait_until(lambda: client.get_quotes().get("quote", {}).get("NSE", {}).get(SYMBOL, {}).get("ltp"),
                          timeout=15), openalgo_client.version
    finally:
        client.disconnect()


def test_the_2x_clients_subscribe_orders_gets_dhans_pushes(setup: Setup):
    version = ClientVersion(V2)
    try:
        client = version.api(api_key=setup.dhan_key, host=setup.server.host, ws_url=setup.ws_url)
        assert client.connect() is True
        assert client.subscribe_orders(on_order_update=CALLBACK) is True
        assert wait_until(lambda: setup.orders.listeners >= 1, timeout=15)
        placed = client.placeorder(**{**ORDER, "price_type": "LIMIT", "price": setup.dhan.ltp - 10})
        seen = client.wait_for_events(lambda events: any(
            e[0] == "on_order_update" and e[1].get("orderid") == placed["orderid"] for e in events), timeout=15)
        client.disconnect()
    finally:
        version.close()
    update = [e[1] for e in seen if e[0] == "on_order_update" and e[1].get("orderid") == placed["orderid"]][-1]
    assert (update["symbol"], update["broker"], update["order_status"]) == (SYMBOL, "dhan", "open")
