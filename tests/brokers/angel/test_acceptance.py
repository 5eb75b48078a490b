"""Issue 19 acceptance: `python app.py` (with its WebSocket proxy) pointed at the fake Angel One servers
(REST, SmartStream, order status). One user connects Angel One the real way (client code, PIN and the
current TOTP, through services.broker_session.connect, then the scrip master download), another is on the
paper broker; the public `openalgo` client (1.0.47 and 2.0.5, tests/support/openalgo_clients.py) sees the
same shapes from both, quotes stream from SmartStream, order changes are pushed from Angel's order-status
feed to the 2.x client's subscribe_orders, and a token Angel rejects mid-day is one broker call, a clear
"broker session expired" 403, and the session marked expired."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Iterator

import pandas as pd
import pytest
import requests

from tests.api.server import Server, flask_cli
from tests.brokers.zerodha.test_acceptance import _user, same_shape, shape
from tests.fakes.angel import API_KEY, CLIENT_CODE, PIN, AngelServer, OrderStatusServer, SmartStreamServer
from tests.fakes.angel.data import base_price
from tests.foundation.test_server import _env_file
from tests.support.net import free_port, wait_for_http
from tests.support.openalgo_clients import CALLBACK, V2, ClientVersion
from tests.websocket_proxy.conftest import wait_until
from utils.config import PROJECT_ROOT

pytestmark = pytest.mark.xdist_group("angel_acceptance")

SYMBOL, TOKEN = "SBIN", "3045"             # an NSE equity of the recorded scrip-master slice
ORDER = dict(strategy="accept", symbol=SYMBOL, action="BUY", exchange="NSE", price_type="MARKET", product="MIS",
             quantity=1)
ORDER_BOOK = "/rest/secure/angelbroking/order/v1/getOrderBook"

CONNECT_ANGEL = """
import sys
from app import create_app
from database.users import find_by_username
from services import broker_session, master_contract
app = create_app()
with app.app_context():
    user_id = find_by_username(sys.argv[1]).id
    broker_session.connect(user_id, "angel", {"client_code": sys.argv[2], "pin": sys.argv[3], "totp": sys.argv[4]})
    live = broker_session.live_session(user_id)
    result = master_contract.download("angel", live.plugin, session=live.session, force=True)
    print(result.state, result.rows)
"""


@dataclass
class Setup:
    server: Server
    angel: AngelServer
    stream: SmartStreamServer
    orders: OrderStatusServer
    ws_url: str
    angel_key: str
    paper_key: str

    def client(self, version: ClientVersion, key: str):  # noqa: ANN201
        return version.api(api_key=key, host=self.server.host, ws_url=self.ws_url)

    def connect_angel(self) -> str:
        env = {**os.environ, "OPENALGO_ENV_FILE": str(self.server.env_file), "FLASK_SKIP_DOTENV": "1"}
        for name in ("APP_KEY", "API_KEY_PEPPER", "DATABASE_URL", "FLASK_PORT"):
            env.pop(name, None)
        done = subprocess.run([sys.executable, "-c", CONNECT_ANGEL, "angeluser", CLIENT_CODE, PIN, self.angel.totp()],
                              cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    tmp = tmp_path_factory.mktemp("angel_acceptance")
    angel = AngelServer().__enter__()
    stream = SmartStreamServer(angel, interval=0.1)
    orders = OrderStatusServer(angel)
    port, ws_port = free_port(), free_port()
    env_file = _env_file(tmp, port, ORDER_RATE_LIMIT="'10000 per second'", API_RATE_LIMIT="'10000 per second'",
                         VALID_BROKERS="angel", ANGEL_API_KEY=API_KEY, ANGEL_API_URL=angel.url,
                         ANGEL_MASTER_URL=angel.master_url, ANGEL_WS_URL=stream.url, ANGEL_ORDER_WS_URL=orders.url,
                         WEBSOCKET_PROXY_ENABLED="true", WEBSOCKET_PORT=str(ws_port), ZMQ_PORT=str(free_port()),
                         PAPER_TICK_INTERVAL_MS="100")
    paper_key = _user(env_file, "paperuser")
    flask_cli(env_file, "broker", "connect", "--username", "paperuser", "--broker", "paper")
    angel_key = _user(env_file, "angeluser")
    server = Server(env_file, port, angel_key)
    running = Setup(server, angel, stream, orders, f"ws://127.0.0.1:{ws_port}", angel_key, paper_key)
    assert running.connect_angel().startswith("success")
    server.start()
    try:
        assert wait_until(lambda: wait_for_http(f"{server.host}/health").json()["websocket_proxy"]["status"] == "up",
                          timeout=30)
        yield running
    finally:
        output = server.stop()
        stream.close()
        orders.close()
        angel.__exit__(None, None, None)
        assert "Traceback" not in output, output[-4000:]


def test_orders_and_books_have_the_paper_brokers_shapes(setup: Setup, openalgo_client: ClientVersion):
    angel, paper = setup.client(openalgo_client, setup.angel_key), setup.client(openalgo_client, setup.paper_key)
    placed = {name: client.placeorder(**ORDER) for name, client in (("angel", angel), ("paper", paper))}
    same_shape(placed["angel"], placed["paper"])
    sent = setup.angel.requests_to("/rest/secure/angelbroking/order/v1/placeOrder")[-1].json
    assert (sent["tradingsymbol"], sent["symboltoken"], sent["transactiontype"], sent["quantity"]) == \
        ("SBIN-EQ", TOKEN, "BUY", "1")
    assert sent["ordertype"] == "MARKET" and sent["producttype"] == "INTRADAY" and sent["variety"] in ("NORMAL", "AMO")
    assert placed["angel"]["orderid"] in setup.angel.orders

    status = angel.orderstatus(order_id=placed["angel"]["orderid"], strategy="accept")
    same_shape(status, paper.orderstatus(order_id=placed["paper"]["orderid"], strategy="accept"))
    assert status["data"]["symbol"] == SYMBOL and status["data"]["order_status"] in ("complete", "open")

    book = angel.orderbook()
    same_shape(book, paper.orderbook())
    assert placed["angel"]["orderid"] in {o["orderid"] for o in book["data"]["orders"]}
    same_shape(angel.tradebook(), paper.tradebook())
    positions = angel.positionbook()
    same_shape(positions, paper.positionbook())
    assert any(p["symbol"] == SYMBOL for p in positions["data"])
    holdings, paper_holdings = angel.holdings(), paper.holdings()        # paper has none: compare the rest
    assert shape(holdings["data"]["statistics"]) == shape(paper_holdings["data"]["statistics"])
    assert holdings["data"]["holdings"][0] == {"symbol": "TATASTEEL", "exchange": "NSE", "product": "CNC", "quantity": 2,
                                               "average_price": 111.87, "pnl": 37.0, "pnlpercent": 16.54}
    funds = angel.funds()
    same_shape(funds, paper.funds())
    assert float(funds["data"]["availablecash"]) > 0


def test_market_data_has_the_paper_brokers_shapes(setup: Setup, openalgo_client: ClientVersion):
    angel, paper = setup.client(openalgo_client, setup.angel_key), setup.client(openalgo_client, setup.paper_key)
    quote = angel.quotes(symbol=SYMBOL, exchange="NSE")
    same_shape(quote, paper.quotes(symbol=SYMBOL, exchange="NSE"))
    assert quote["data"]["ltp"] == base_price(TOKEN)
    depth = angel.depth(symbol=SYMBOL, exchange="NSE")
    same_shape(depth, paper.depth(symbol=SYMBOL, exchange="NSE"))
    assert len(depth["data"]["bids"]) == 5

    end = date.today() - timedelta(days=1)
    window = dict(symbol=SYMBOL, exchange="NSE", interval="5m", start_date=str(end - timedelta(days=6)),
                  end_date=str(end))
    candles, paper_candles = angel.history(**window), paper.history(**window)
    assert not isinstance(candles, dict), candles             # a DataFrame, as with paper
    assert list(candles.columns) == list(paper_candles.columns) and len(candles) > 0
    first = pd.to_datetime(candles[candles.columns[0]], utc=True).dt.tz_convert("Asia/Kolkata").iloc[0]
    assert (first.hour, first.minute) == (9, 15)              # the index, reset by the client runner
    fetched = setup.angel.requests_to("/rest/secure/angelbroking/historical/v1/getCandleData")[-1].json
    assert fetched["interval"] == "FIVE_MINUTE" and fetched["symboltoken"] == TOKEN


def test_subscribe_quote_streams_smartstream(setup: Setup, openalgo_client: ClientVersion):
    shapes = {}
    for name, key in (("angel", setup.angel_key), ("paper", setup.paper_key)):
        client = setup.client(openalgo_client, key)
        assert client.connect() is True
        try:
            assert client.subscribe_quote([{"exchange": "NSE", "symbol": SYMBOL}])
            assert wait_until(lambda: client.get_quotes().get("quote", {}).get("NSE", {}).get(SYMBOL, {}).get("ltp"),
                              timeout=15), name
            quote = client.get_quotes()["quote"]["NSE"][SYMBOL]
            shapes[name] = shape(quote)
            if name == "angel":
                assert abs(quote["ltp"] - base_price(TOKEN)) < 1.0
        finally:
            client.disconnect()
    assert shapes["angel"] == shapes["paper"]
    subscribed = [m for m in setup.stream.messages if isinstance(m, dict) and m.get("action") == 1]
    assert subscribed and subscribed[-1]["params"]["tokenList"] == [{"exchangeType": 1, "tokens": [TOKEN]}]


@pytest.fixture
def openalgo2() -> Iterator[ClientVersion]:
    version = ClientVersion(V2)
    yield version
    version.close()


def test_subscribe_orders_gets_angels_pushed_order_updates(setup: Setup, openalgo2: ClientVersion):
    watcher = setup.client(openalgo2, setup.angel_key)
    assert watcher.connect() is True
    assert watcher.subscribe_orders(on_order_update=CALLBACK) is True
    assert wait_until(lambda: setup.orders.accepted >= 1, timeout=15)     # the proxy opened Angel's order feed
    limit = dict(ORDER, price_type="LIMIT", price=round(base_price(TOKEN) * 0.8, 1))
    placed = setup.client(openalgo2, setup.angel_key).placeorder(**limit)
    assert placed["status"] == "success", placed
    order_id = placed["orderid"]
    cancelled = setup.client(openalgo2, setup.angel_key).cancelorder(order_id=order_id, strategy="accept")
    assert cancelled["status"] == "success", cancelled

    def mine(events: list[list[Any]]) -> list[dict[str, Any]]:
        return [e[1] for e in events if e[0] == "on_order_update" and e[1].get("orderid") == order_id
                and not e[1].get("snapshot")]

    seen = mine(watcher.wait_for_events(lambda events: {"open", "cancelled"} <= {u["order_status"] for u in mine(events)},
                                        timeout=15))
    statuses = [u["order_status"] for u in seen]
    watcher.disconnect()
    assert "cancelled" in statuses and statuses.index("open") < statuses.index("cancelled"), statuses
    assert all(u["symbol"] == SYMBOL and u["broker"] == "angel" and u["exchange"] == "NSE" for u in seen)
    assert [m["orderData"]["orderid"] for m in setup.orders.sent].count(order_id) >= 2     # both pushed by Angel


def test_token_rejected_mid_day_is_one_call_then_broker_session_expired(setup: Setup, openalgo_client: ClientVersion):
    angel = setup.client(openalgo_client, setup.angel_key)
    try:
        setup.angel.expire_token()
        before = len(setup.angel.requests)
        answer = requests.post(f"{setup.server.host}/api/v1/orderbook", json={"apikey": setup.angel_key}, timeout=30)
        assert answer.status_code == 403 and answer.json()["message"].startswith("Broker session expired")
        assert [(r.method, r.path) for r in setup.angel.requests[before:]] == [("GET", ORDER_BOOK)]   # no retry loop
        for call in (lambda: angel.quotes(symbol=SYMBOL, exchange="NSE"), angel.funds,
                     lambda: angel.placeorder(**ORDER)):
            refused = call()
            assert refused["status"] == "error" and refused["code"] == 403
        assert len(setup.angel.requests) == before + 1       # refused here, without asking Angel again
        state = json.loads(flask_cli(setup.server.env_file, "broker", "status", "--username", "angeluser"))
        assert state["state"] == "expired" and state["broker"] == "angel"
    finally:
        assert setup.connect_angel().startswith("success")     # log in again: the next day's routine
    assert angel.funds()["status"] == "success"
