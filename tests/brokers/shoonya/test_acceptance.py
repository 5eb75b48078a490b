"""Issue 22 acceptance: `python app.py` (with its WebSocket proxy) pointed at the fake Noren OMS as
Shoonya. One user connects Shoonya the way the login form does (user id, password, TOTP; then the
zipped symbol files download), another is on the paper broker; the public `openalgo` client — 1.0.47
and 2.0.5 — sees the same shapes from both, quotes stream from the Noren WebSocket, the 2.x client's
subscribe_orders receives the OMS's `om` pushes, and a session the OMS rejects mid-day is one broker
call, a clear "broker session expired" 403 and the session marked expired."""
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
from tests.fakes.fixtures import fixture_json
from tests.fakes.noren import NorenFeedServer, NorenServer
from tests.fakes.noren.server import PASSWORD, TOTP, USER_ID
from tests.foundation.test_server import _env_file
from tests.support.net import free_port, wait_for_http
from tests.support.openalgo_clients import CALLBACK, V2, ClientVersion
from tests.websocket_proxy.conftest import wait_until
from utils.config import PROJECT_ROOT

pytestmark = pytest.mark.xdist_group("shoonya_acceptance")

SYMBOL, TOKEN = "SBIN", "3045"             # an NSE equity of the recorded symbol file (paper has it too)
ORDER = dict(strategy="accept", symbol=SYMBOL, action="BUY", exchange="NSE", price_type="MARKET", product="MIS",
             quantity=1)

CONNECT_SHOONYA = """
import sys
from app import create_app
from database.users import find_by_username
from services import broker_session, master_contract
app = create_app()
with app.app_context():
    user_id = find_by_username(sys.argv[1]).id
    broker_session.connect(user_id, "shoonya", {"user_id": sys.argv[2], "password": sys.argv[3], "totp": sys.argv[4]})
    live = broker_session.live_session(user_id)
    result = master_contract.download("shoonya", live.plugin, session=live.session, force=True)
    print(result.state, result.rows)
"""


@dataclass
class Setup:
    server: Server
    noren: NorenServer
    feed: NorenFeedServer
    ws_url: str
    shoonya_key: str
    paper_key: str

    def client(self, version: ClientVersion, key: str):  # noqa: ANN201
        return version.api(api_key=key, host=self.server.host, ws_url=self.ws_url)

    def connect_shoonya(self) -> str:
        env = {**os.environ, "OPENALGO_ENV_FILE": str(self.server.env_file), "FLASK_SKIP_DOTENV": "1"}
        for name in ("APP_KEY", "API_KEY_PEPPER", "DATABASE_URL", "FLASK_PORT"):
            env.pop(name, None)
        done = subprocess.run([sys.executable, "-c", CONNECT_SHOONYA, "shoonyauser", USER_ID, PASSWORD, TOTP],
                              cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout.strip().splitlines()[-1]

    @property
    def ltp(self) -> float:
        return self.noren.prices[("NSE", TOKEN)]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    tmp = tmp_path_factory.mktemp("shoonya_acceptance")
    noren = NorenServer().__enter__()
    feed = NorenFeedServer(noren, interval=0.1)
    port, ws_port = free_port(), free_port()
    settings = {name: f"'{value}'" for name, value in noren.settings("shoonya").items()}
    env_file = _env_file(tmp, port, ORDER_RATE_LIMIT="'10000 per second'", API_RATE_LIMIT="'10000 per second'",
                         VALID_BROKERS="shoonya", WEBSOCKET_PROXY_ENABLED="true", WEBSOCKET_PORT=str(ws_port),
                         ZMQ_PORT=str(free_port()), PAPER_TICK_INTERVAL_MS="100", **settings)
    paper_key = _user(env_file, "paperuser")
    flask_cli(env_file, "broker", "connect", "--username", "paperuser", "--broker", "paper")
    shoonya_key = _user(env_file, "shoonyauser")
    server = Server(env_file, port, shoonya_key)
    running = Setup(server, noren, feed, f"ws://127.0.0.1:{ws_port}", shoonya_key, paper_key)
    assert running.connect_shoonya().startswith("success")
    server.start()
    try:
        assert wait_until(lambda: wait_for_http(f"{server.host}/health").json()["websocket_proxy"]["status"] == "up",
                          timeout=30)
        yield running
    finally:
        output = server.stop()
        feed.close()
        noren.__exit__(None, None, None)
        assert "Traceback" not in output, output[-4000:]


def test_orders_and_books_have_the_paper_brokers_shapes(setup: Setup, openalgo_client: ClientVersion):
    shoonya, paper = setup.client(openalgo_client, setup.shoonya_key), setup.client(openalgo_client, setup.paper_key)
    placed = {name: client.placeorder(**ORDER) for name, client in (("shoonya", shoonya), ("paper", paper))}
    same_shape(placed["shoonya"], placed["paper"])
    sent = setup.noren.calls_to("PlaceOrder")[-1].jdata
    assert (sent["tsym"], sent["exch"], sent["trantype"], sent["qty"], sent["prctyp"], sent["prd"]) == \
        ("SBIN-EQ", "NSE", "B", "1", "MKT", "I")
    assert placed["shoonya"]["orderid"] in setup.noren.orders

    status = shoonya.orderstatus(order_id=placed["shoonya"]["orderid"], strategy="accept")
    same_shape(status, paper.orderstatus(order_id=placed["paper"]["orderid"], strategy="accept"))
    assert status["data"]["symbol"] == SYMBOL and status["data"]["order_status"] == "complete"

    book = shoonya.orderbook()
    same_shape(book, paper.orderbook())
    assert placed["shoonya"]["orderid"] in {o["orderid"] for o in book["data"]["orders"]}
    same_shape(shoonya.tradebook(), paper.tradebook())
    positions = shoonya.positionbook()
    same_shape(positions, paper.positionbook())
    assert any(p["symbol"] == SYMBOL for p in positions["data"])
    holdings, paper_holdings = shoonya.holdings(), paper.holdings()
    assert shape(holdings["data"]["statistics"]) == shape(paper_holdings["data"]["statistics"])
    assert {h["symbol"]: h["quantity"] for h in holdings["data"]["holdings"]} == {"ACC": 10}
    funds = shoonya.funds()
    same_shape(funds, paper.funds())
    limits = fixture_json("noren", "limits.json")
    assert float(funds["data"]["availablecash"]) == round(float(limits["cash"]) - float(limits["marginused"]), 2)


def test_market_data_has_the_paper_brokers_shapes(setup: Setup, openalgo_client: ClientVersion):
    shoonya, paper = setup.client(openalgo_client, setup.shoonya_key), setup.client(openalgo_client, setup.paper_key)
    quote = shoonya.quotes(symbol=SYMBOL, exchange="NSE")
    same_shape(quote, paper.quotes(symbol=SYMBOL, exchange="NSE"))
    assert quote["data"]["ltp"] == setup.ltp
    depth = shoonya.depth(symbol=SYMBOL, exchange="NSE")
    same_shape(depth, paper.depth(symbol=SYMBOL, exchange="NSE"))
    assert len(depth["data"]["bids"]) == 5

    end = date.today() - timedelta(days=1)
    window = dict(symbol=SYMBOL, exchange="NSE", interval="5m", start_date=str(end - timedelta(days=6)),
                  end_date=str(end))
    candles, paper_candles = shoonya.history(**window), paper.history(**window)
    assert not isinstance(candles, dict), candles             # a DataFrame, as with paper
    assert list(candles.columns) == list(paper_candles.columns) and len(candles) > 0
    first = pd.to_datetime(candles[candles.columns[0]], utc=True).dt.tz_convert("Asia/Kolkata").iloc[0] \
        if candles.index.name is None or str(candles.index.dtype).startswith("int") else candles.index[0]
    assert (first.hour, first.minute) == (9, 15)
    fetched = setup.noren.calls_to("TPSeries")[-1].jdata
    assert (fetched["intrv"], fetched["token"], fetched["exch"]) == ("5", TOKEN, "NSE")


def test_subscribe_quote_streams_the_noren_websocket(setup: Setup, openalgo_client: ClientVersion):
    shapes = {}
    for name, key in (("shoonya", setup.shoonya_key), ("paper", setup.paper_key)):
        client = setup.client(openalgo_client, key)
        assert client.connect() is True
        try:
            assert client.subscribe_quote([{"exchange": "NSE", "symbol": SYMBOL}])
            assert wait_until(lambda: client.get_quotes().get("quote", {}).get("NSE", {}).get(SYMBOL, {}).get("ltp"),
                              timeout=15), name
            quote = client.get_quotes()["quote"]["NSE"][SYMBOL]
            shapes[name] = shape(quote)
            if name == "shoonya":
                assert abs(quote["ltp"] - setup.ltp) < 0.3
        finally:
            client.disconnect()
    assert shapes["shoonya"] == shapes["paper"]
    assert {"t": "t", "k": f"NSE|{TOKEN}"} in setup.feed.received


@pytest.fixture
def openalgo2() -> Iterator[ClientVersion]:
    version = ClientVersion(V2)
    yield version
    version.close()


def test_subscribe_orders_gets_the_oms_pushed_order_updates(setup: Setup, openalgo2: ClientVersion):
    watcher = setup.client(openalgo2, setup.shoonya_key)
    assert watcher.connect() is True
    assert watcher.subscribe_orders(on_order_update=CALLBACK) is True
    assert wait_until(lambda: {"t": "o", "actid": USER_ID} in setup.feed.received, timeout=15)
    limit = dict(ORDER, price_type="LIMIT", price=round(setup.ltp * 0.8, 1))
    placed = setup.client(openalgo2, setup.shoonya_key).placeorder(**limit)
    assert placed["status"] == "success", placed
    order_id = placed["orderid"]
    cancelled = setup.client(openalgo2, setup.shoonya_key).cancelorder(order_id=order_id, strategy="accept")
    assert cancelled["status"] == "success", cancelled

    def mine(events: list[list[Any]]) -> list[dict[str, Any]]:
        return [e[1] for e in events if e[0] == "on_order_update" and e[1].get("orderid") == order_id
                and not e[1].get("snapshot")]

    seen = mine(watcher.wait_for_events(lambda events: {"open", "cancelled"} <= {u["order_status"] for u in mine(events)},
                                        timeout=15))
    statuses = [u["order_status"] for u in seen]
    watcher.disconnect()
    assert "cancelled" in statuses and statuses.index("open") < statuses.index("cancelled"), statuses
    assert all(u["symbol"] == SYMBOL and u["broker"] == "shoonya" and u["exchange"] == "NSE" for u in seen)


def test_session_rejected_mid_day_is_one_call_then_broker_session_expired(setup: Setup, openalgo_client: ClientVersion):
    shoonya = setup.client(openalgo_client, setup.shoonya_key)
    try:
        setup.noren.expire_token()
        before = len(setup.noren.calls)
        answer = requests.post(f"{setup.server.host}/api/v1/orderbook", json={"apikey": setup.shoonya_key}, timeout=30)
        assert answer.status_code == 403 and answer.json()["message"].startswith("Broker session expired")
        assert [c.call for c in setup.noren.calls[before:]] == ["OrderBook"]      # no retry loop
        for call in (lambda: shoonya.quotes(symbol=SYMBOL, exchange="NSE"), shoonya.funds,
                     lambda: shoonya.placeorder(**ORDER)):
            refused = call()
            assert refused["status"] == "error" and refused["code"] == 403
        assert len(setup.noren.calls) == before + 1       # refused here, without asking the OMS again
        state = json.loads(flask_cli(setup.server.env_file, "broker", "status", "--username", "shoonyauser"))
        assert state["state"] == "expired" and state["broker"] == "shoonya"
    finally:
        assert setup.connect_shoonya().startswith("success")     # log in again: the next day's routine
    assert shoonya.funds()["status"] == "success"
