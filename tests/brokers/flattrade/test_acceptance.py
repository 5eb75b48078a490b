"""Issue 22 acceptance for Flattrade: the same Noren core as Shoonya (tests/brokers/shoonya/test_acceptance.py
runs the full comparison with paper), here through Flattrade's own login — the request code its login page
sends back, exchanged for the session token — and its own URLs, with a trader's script run unchanged by
both public openalgo clients (1.0.47 and 2.0.5): orders, books, funds, quotes, history and streamed quotes."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterator

import pytest

from tests.api.server import Server
from tests.brokers.zerodha.test_acceptance import _user
from tests.fakes.noren import NorenFeedServer, NorenServer
from tests.fakes.noren.server import REQUEST_CODE, USER_ID
from tests.foundation.test_server import _env_file
from tests.support.net import free_port, wait_for_http
from tests.support.openalgo_clients import ClientVersion
from tests.websocket_proxy.conftest import wait_until
from utils.config import PROJECT_ROOT

pytestmark = pytest.mark.xdist_group("flattrade_acceptance")

SYMBOL, TOKEN = "SBIN", "3045"
ORDER = dict(strategy="accept", symbol=SYMBOL, action="BUY", exchange="NSE", price_type="MARKET", product="MIS",
             quantity=1)

# what /flattrade/callback does with the query Flattrade's login page sends back
CONNECT_FLATTRADE = """
import sys
from app import create_app
from database.users import find_by_username
from services import broker_session, master_contract
app = create_app()
with app.app_context():
    user_id = find_by_username(sys.argv[1]).id
    broker_session.connect(user_id, "flattrade", {"code": sys.argv[2], "client": sys.argv[3]})
    live = broker_session.live_session(user_id)
    result = master_contract.download("flattrade", live.plugin, session=live.session, force=True)
    print(result.state, result.rows)
"""


@dataclass
class Setup:
    server: Server
    noren: NorenServer
    feed: NorenFeedServer
    ws_url: str
    key: str


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    tmp = tmp_path_factory.mktemp("flattrade_acceptance")
    noren = NorenServer().__enter__()
    feed = NorenFeedServer(noren, interval=0.1)
    port, ws_port = free_port(), free_port()
    settings = {name: f"'{value}'" for name, value in noren.settings("flattrade").items()}
    env_file = _env_file(tmp, port, ORDER_RATE_LIMIT="'10000 per second'", API_RATE_LIMIT="'10000 per second'",
                         VALID_BROKERS="flattrade", WEBSOCKET_PROXY_ENABLED="true", WEBSOCKET_PORT=str(ws_port),
                         ZMQ_PORT=str(free_port()), **settings)
    key = _user(env_file, "flattradeuser")
    server = Server(env_file, port, key)
    env = {**os.environ, "OPENALGO_ENV_FILE": str(env_file), "FLASK_SKIP_DOTENV": "1"}
    for name in ("APP_KEY", "API_KEY_PEPPER", "DATABASE_URL", "FLASK_PORT"):
        env.pop(name, None)
    done = subprocess.run([sys.executable, "-c", CONNECT_FLATTRADE, "flattradeuser", REQUEST_CODE, USER_ID],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip().splitlines()[-1].startswith("success"), done.stdout + done.stderr
    server.start()
    try:
        assert wait_until(lambda: wait_for_http(f"{server.host}/health").json()["websocket_proxy"]["status"] == "up",
                          timeout=30)
        yield Setup(server, noren, feed, f"ws://127.0.0.1:{ws_port}", key)
    finally:
        output = server.stop()
        feed.close()
        noren.__exit__(None, None, None)
        assert "Traceback" not in output, output[-4000:]


def test_a_script_runs_unchanged_with_each_client_version(setup: Setup, openalgo_client: ClientVersion):
    client = openalgo_client.api(api_key=setup.key, host=setup.server.host, ws_url=setup.ws_url)
    placed = client.placeorder(**ORDER)
    assert placed["status"] == "success", placed
    assert setup.noren.calls_to("PlaceOrder")[-1].path.startswith("/PiConnectTP/")
    status = client.orderstatus(order_id=placed["orderid"], strategy="accept")
    assert status["data"]["symbol"] == SYMBOL and status["data"]["order_status"] == "complete"
    assert placed["orderid"] in {o["orderid"] for o in client.orderbook()["data"]["orders"]}
    assert client.tradebook()["status"] == client.positionbook()["status"] == client.holdings()["status"] == "success"
    assert float(client.funds()["data"]["availablecash"]) > 0
    assert client.quotes(symbol=SYMBOL, exchange="NSE")["data"]["ltp"] == setup.noren.prices[("NSE", TOKEN)]
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
