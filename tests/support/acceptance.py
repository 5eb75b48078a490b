"""The acceptance harness every broker plugin's openalgo-client test shares (docs/adding-a-broker.md).

`running_app(...)` starts `python app.py` (WebSocket proxy on) pointed at a broker's fake servers through
the plugin's own settings, with two users: one connected to the broker the way its login does
(services.broker_session.connect with the login form's fields, then the master-contract download), one on
the paper broker. The scenarios below then drive both with the public `openalgo` client (either version,
tests/support/openalgo_clients.py) and check a script sees the paper broker's shapes from the live broker;
a broker's own test adds what is particular to it (the request its fake received, its recorded books).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol

import requests
import websocket

from tests.api.server import Server, flask_cli
from tests.foundation.test_server import _env_file
from tests.support.net import free_port, wait_for_http
from tests.support.openalgo_clients import CALLBACK, ClientVersion, RemoteApi
from tests.websocket_proxy.conftest import wait_until
from utils.config import PROJECT_ROOT
from utils.market_calendar import now_ist

PAPER_USER = "paperuser"

# the callback's work, run as the app would: open a broker session with the login's fields, load the master
_CONNECT = """
import json, sys
from app import create_app
from database.users import find_by_username
from services import broker_session, master_contract
app = create_app()
with app.app_context():
    user_id = find_by_username(sys.argv[1]).id
    broker_session.connect(user_id, sys.argv[2], json.loads(sys.argv[3]))
    live = broker_session.live_session(user_id)
    result = master_contract.download(sys.argv[2], live.plugin, session=live.session, force=True)
    print(result.state, result.rows)
"""


class RecordingFake(Protocol):
    """What the shared scenarios need of a broker's fake REST server."""
    requests: list[Any]

    def expire_token(self) -> None: ...


def market_order(symbol: str) -> dict[str, Any]:
    return dict(strategy="accept", symbol=symbol, action="BUY", exchange="NSE", price_type="MARKET", product="MIS",
                quantity=1)


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


def same_shape(broker: dict, paper: dict) -> None:
    assert broker["status"] == paper["status"] == "success", (broker, paper)
    assert shape(broker) == shape(paper), json.dumps({"broker": broker, "paper": paper}, default=str)[:3000]


# ------------------------------------------------------------------------------------------ the app
def create_user(env_file: Path, username: str) -> str:
    """A user with an API key (the CLI's way); returns the key."""
    flask_cli(env_file, "user", "create", "--username", username, "--email", f"{username}@example.com",
              "--password", "correct-horse-42", *(["--force"] if username != PAPER_USER else []))
    return flask_cli(env_file, "apikey", "create", "--username", username).splitlines()[-1].strip()


@dataclass
class BrokerApp:
    """`python app.py` with one user on `broker` (`username`, `broker_key`) and one on paper (`paper_key`)."""
    server: Server
    broker: str
    username: str
    login: Callable[[], dict[str, str]]     # the login form's fields, asked afresh each time (a TOTP changes)
    ws_url: str
    broker_key: str
    paper_key: str

    def client(self, version: ClientVersion, key: str | None = None) -> RemoteApi:
        """The public client of `version` for the broker's user (or the user whose key is given)."""
        return version.api(api_key=key or self.broker_key, host=self.server.host, ws_url=self.ws_url)

    def clients(self, version: ClientVersion) -> tuple[RemoteApi, RemoteApi]:
        return self.client(version), self.client(version, self.paper_key)

    def connect_broker(self) -> str:
        """Log the broker's user in again (the next day's routine); returns the master download's state and rows."""
        env = {**os.environ, "OPENALGO_ENV_FILE": str(self.server.env_file), "FLASK_SKIP_DOTENV": "1"}
        for name in ("APP_KEY", "API_KEY_PEPPER", "DATABASE_URL", "FLASK_PORT"):
            env.pop(name, None)
        done = subprocess.run([sys.executable, "-c", _CONNECT, self.username, self.broker, json.dumps(self.login())],
                              cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout.strip().splitlines()[-1]

    def broker_state(self) -> dict[str, Any]:
        return json.loads(flask_cli(self.server.env_file, "broker", "status", "--username", self.username))


@contextmanager
def running_app(tmp: Path, broker: str, login: Callable[[], dict[str, str]], *, port: int | None = None,
                **settings: str) -> Iterator[BrokerApp]:
    """`settings`: the plugin's own (its base URLs pointed at the fakes); `port` when a setting needs it ahead
    (a redirect URL). The app's output must hold no traceback when it stops."""
    port, ws_port = port or free_port(), free_port()
    env_file = _env_file(tmp, port, ORDER_RATE_LIMIT="'10000 per second'", API_RATE_LIMIT="'10000 per second'",
                         VALID_BROKERS=broker, WEBSOCKET_PROXY_ENABLED="true", WEBSOCKET_PORT=str(ws_port),
                         ZMQ_PORT=str(free_port()), PAPER_TICK_INTERVAL_MS="100", **settings)
    paper_key = create_user(env_file, PAPER_USER)
    flask_cli(env_file, "broker", "connect", "--username", PAPER_USER, "--broker", "paper")
    username = f"{broker}user"
    broker_key = create_user(env_file, username)
    server = Server(env_file, port, broker_key)
    app = BrokerApp(server, broker, username, login, f"ws://127.0.0.1:{ws_port}", broker_key, paper_key)
    assert app.connect_broker().startswith("success")
    server.start()
    try:
        assert wait_until(lambda: wait_for_http(f"{server.host}/health").json()["websocket_proxy"]["status"] == "up",
                          timeout=30)
        yield app
    finally:
        output = server.stop()
        assert "Traceback" not in output, output[-4000:]


# ------------------------------------------------------------------------------------------ scenarios
@dataclass
class Books:
    """What the broker's user got in `orders_and_books_match_paper`, for the broker's own checks."""
    placed: dict[str, Any]
    status: dict[str, Any]
    orderbook: dict[str, Any]
    positions: dict[str, Any]
    funds: dict[str, Any]


def orders_and_books_match_paper(app: BrokerApp, version: ClientVersion, order: dict[str, Any], *,
                                 tradebook: bool = True) -> Books:
    """Place `order` as both users, then read its status, the books and funds: each answer has paper's shape."""
    broker, paper = app.clients(version)
    placed = {name: client.placeorder(**order) for name, client in (("broker", broker), ("paper", paper))}
    same_shape(placed["broker"], placed["paper"])
    status = broker.orderstatus(order_id=placed["broker"]["orderid"], strategy=order["strategy"])
    same_shape(status, paper.orderstatus(order_id=placed["paper"]["orderid"], strategy=order["strategy"]))
    assert status["data"]["symbol"] == order["symbol"] and status["data"]["order_status"] in ("complete", "open")
    book = broker.orderbook()
    same_shape(book, paper.orderbook())
    assert placed["broker"]["orderid"] in {o["orderid"] for o in book["data"]["orders"]}
    if tradebook:
        same_shape(broker.tradebook(), paper.tradebook())
    positions = broker.positionbook()
    same_shape(positions, paper.positionbook())
    funds = broker.funds()
    same_shape(funds, paper.funds())
    assert float(funds["data"]["availablecash"]) > 0
    return Books(placed["broker"], status, book, positions, funds)


def holdings_match_paper(app: BrokerApp, version: ClientVersion) -> dict[str, Any]:
    """Paper holds nothing, so only the statistics' shape is compared; returns the broker's holdings."""
    broker, paper = app.clients(version)
    holdings = broker.holdings()
    assert shape(holdings["data"]["statistics"]) == shape(paper.holdings()["data"]["statistics"])
    return holdings


def quote_matches_paper(app: BrokerApp, version: ClientVersion, symbol: str, *, depth: bool = True) -> dict[str, Any]:
    """quotes (and depth, five levels a side) have paper's shapes; returns the broker's quote."""
    broker, paper = app.clients(version)
    quote = broker.quotes(symbol=symbol, exchange="NSE")
    same_shape(quote, paper.quotes(symbol=symbol, exchange="NSE"))
    if depth:
        book = broker.depth(symbol=symbol, exchange="NSE")
        same_shape(book, paper.depth(symbol=symbol, exchange="NSE"))
        assert len(book["data"]["bids"]) == 5
    return quote


def last_week() -> tuple[date, date]:
    """The six days up to yesterday (India's date, as a script in the market's time zone would ask)."""
    end = now_ist().date() - timedelta(days=1)
    return end - timedelta(days=6), end


def history_matches_paper(app: BrokerApp, version: ClientVersion, symbol: str) -> tuple[Any, Any]:
    """Last week's 5-minute candles: a non-empty DataFrame with paper's columns; returns the broker's and paper's."""
    broker, paper = app.clients(version)
    start, end = last_week()
    window = dict(symbol=symbol, exchange="NSE", interval="5m", start_date=str(start), end_date=str(end))
    candles, paper_candles = broker.history(**window), paper.history(**window)
    assert not isinstance(candles, dict), candles             # a DataFrame, as with paper
    assert list(candles.columns) == list(paper_candles.columns) and len(candles) > 0
    return candles, paper_candles


def streamed_quote_matches_paper(app: BrokerApp, version: ClientVersion, symbol: str) -> dict[str, Any]:
    """subscribe_quote through the proxy for both users: a quote arrives with paper's shape; returns the broker's."""
    quotes = {}
    for name, key in (("broker", app.broker_key), ("paper", app.paper_key)):
        client = app.client(version, key)
        assert client.connect() is True
        try:
            assert client.subscribe_quote([{"exchange": "NSE", "symbol": symbol}])
            assert wait_until(lambda: client.get_quotes().get("quote", {}).get("NSE", {}).get(symbol, {}).get("ltp"),
                              timeout=15), name
            quotes[name] = client.get_quotes()["quote"]["NSE"][symbol]
        finally:
            client.disconnect()
    assert shape(quotes["broker"]) == shape(quotes["paper"])
    return quotes["broker"]


def order_updates(events: list[list[Any]], order_id: str) -> list[dict[str, Any]]:
    """The pushed (not snapshot) order updates for `order_id` among a client's CALLBACK events."""
    return [e[1] for e in events if e[0] == "on_order_update" and e[1].get("orderid") == order_id
            and not e[1].get("snapshot")]


def subscribed_to_orders(app: BrokerApp, version: ClientVersion, broker_listening: Callable[[], bool]) -> RemoteApi:
    """A 2.x client connected and subscribed to order updates, once the proxy opened the broker's order feed
    (`broker_listening`, asked of the fake)."""
    client = app.client(version)
    assert client.connect() is True and client.subscribe_orders(on_order_update=CALLBACK) is True
    assert wait_until(broker_listening, timeout=15)
    return client


def expired_token_is_one_call(app: BrokerApp, version: ClientVersion, fake: RecordingFake, order: dict[str, Any],
                              order_book: str, *, refusal: str = "", renew: Callable[[], None] = lambda: None,
                              book_method: str = "GET") -> None:
    """The broker rejects the token mid-day: the order book is one broker call (no retry loop) answered with
    a clear "Broker session expired" 403; quotes, funds and orders are then refused here without asking the
    broker (their message holding `refusal`), and the session is marked expired. `renew` gets a fresh
    token before logging in again; the client works again afterwards. `order_book` is the broker's path for
    it, asked with `book_method` (Noren's calls are all POSTs)."""
    client = app.client(version)
    try:
        fake.expire_token()
        before = len(fake.requests)
        answer = requests.post(f"{app.server.host}/api/v1/orderbook", json={"apikey": app.broker_key}, timeout=30)
        assert answer.status_code == 403
        assert answer.json()["message"].startswith("Broker session expired") and "Reconnect" in answer.json()["message"]
        assert [(r.method, r.path) for r in fake.requests[before:]] == [(book_method, order_book)]
        for call in (lambda: client.quotes(symbol=order["symbol"], exchange="NSE"), client.funds,
                     lambda: client.placeorder(**order)):
            refused = call()
            assert refused["status"] == "error" and refused["code"] == 403 and refusal in refused["message"]
        assert len(fake.requests) == before + 1
        state = app.broker_state()
        assert state["state"] == "expired" and state["broker"] == app.broker
    finally:
        renew()
        assert app.connect_broker().startswith("success")
    assert client.funds()["status"] == "success"


def proxy_order_feed(app: BrokerApp) -> websocket.WebSocket:
    """The proxy's own protocol, no client library: authenticated as the broker's user, subscribed to orders."""
    ws = websocket.create_connection(app.ws_url, timeout=10)
    ws.send(json.dumps({"action": "authenticate", "api_key": app.broker_key}))
    assert json.loads(ws.recv())["status"] == "success"
    ws.send(json.dumps({"action": "subscribe_orders"}))
    return ws


def proxy_order_updates(ws: websocket.WebSocket, order_id: str, seconds: float = 15) -> list[dict[str, Any]]:
    """The pushed (not snapshot) order_update messages for `order_id` read from `ws` until one came or `seconds` passed."""
    found: list[dict[str, Any]] = []

    def more() -> bool:
        try:
            message = json.loads(ws.recv())
        except websocket.WebSocketTimeoutException:
            return False
        if message.get("type") == "order_update" and message.get("orderid") == order_id and not message.get("snapshot"):
            found.append(message)
        return bool(found)

    ws.settimeout(1)
    wait_until(more, timeout=seconds)
    return found
