"""Issue 16.8 end to end: the Kite ticker refuses a user's token (HTTP 403 on connect). The proxy stops
that feed instead of reconnecting, expires the user's broker session through the hook the production
wiring provides, tells the user's client, and resumes the subscriptions once the user reconnects."""
from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any, Iterator

import pytest
from websockets.sync.client import connect

from broker.contract import BrokerSession, Instrument, PluginConfig
from broker.zerodha import create_plugin
from tests.fakes.kite_ticker import KiteTickerServer
from tests.support.net import free_port
from websocket_proxy.server import ProxyConfig, ProxyServer
from websocket_proxy.upstream import Principal

pytestmark = pytest.mark.xdist_group("websocket_proxy")
API_KEY = "key-zerodha-user-0123456789"
INFY = Instrument(symbol="INFY", brsymbol="INFY", name="INFOSYS", exchange="NSE", brexchange="NSE", token="408065")


class Harness:
    """A proxy on its own loop thread; the user's stored session is `self.token` ("" = not connected)."""

    def __init__(self, ticker: KiteTickerServer):
        self.token = "stale-access-token"
        self.expired: list[tuple[Any, str]] = []
        plugin = create_plugin(PluginConfig(settings={"ZERODHA_API_KEY": ticker.api_key,
                                                      "ZERODHA_TICKER_URL": ticker.url}))

        def principal() -> Principal | None:
            session = BrokerSession(user_id=7, broker="zerodha", auth_token=self.token) if self.token else None
            return Principal(7, "trader", "zerodha" if session else "paper", session)

        async def authenticate(key: str) -> Principal | None:
            return principal() if key == API_KEY else None

        async def session_rejected(who: Principal, reason: str) -> None:   # the wiring marks it expired
            self.expired.append((who.credentials.auth_token, reason))
            self.token = ""

        async def recheck(who: Principal) -> Principal | None:
            return principal()

        async def lookup(symbol: str, exchange: str, broker: str) -> Instrument | None:
            return INFY if (symbol, exchange) == ("INFY", "NSE") else None

        def feed(who: Principal, publisher: Any) -> Any:  # what ProductionWiring.adapter_factory does
            return plugin.feed(who.credentials, publisher)

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        config = ProxyConfig(port=0, bus_port=free_port(), upstream_grace=0.3, session_recheck=0.2)
        self.server = ProxyServer(config, authenticate, feed, lookup, supported_brokers=("zerodha",),
                                  session_rejected=session_rejected, recheck_principal=recheck)
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(10)
        self.url = f"ws://127.0.0.1:{self.server.port}"

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def harness() -> Iterator[tuple[Harness, KiteTickerServer]]:
    ticker = KiteTickerServer()
    proxy = Harness(ticker)
    yield proxy, ticker
    proxy.close()
    ticker.close()


def _next(ws: Any, wanted: str, timeout: float = 5) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if message.get("type") == wanted or message.get("code") == wanted:
            return message


def test_a_refused_token_expires_the_session_tells_the_client_and_resumes_after_reconnect(harness):
    proxy, ticker = harness
    with connect(proxy.url, open_timeout=5) as ws:
        ws.send(json.dumps({"action": "authenticate", "api_key": API_KEY}))
        assert json.loads(ws.recv(timeout=5))["status"] == "success"
        ws.send(json.dumps({"action": "subscribe", "symbols": [{"symbol": "INFY", "exchange": "NSE"}], "mode": 1}))

        told = _next(ws, "BROKER_SESSION_EXPIRED")
        assert told["type"] == "error" and told["broker"] == "zerodha" and "Reconnect zerodha" in told["message"]
        assert [token for token, _ in proxy.expired] == ["stale-access-token"]
        assert "403" in proxy.expired[0][1] and "stale-access-token" not in told["message"]
        time.sleep(1.0)   # back-off here would retry several times a second: it must not retry at all
        assert ticker.refused == 1 and ticker.accepted == 0
        ws.send(json.dumps({"action": "get_broker_info"}))
        assert _next(ws, "broker_info")["adapter_status"] == "rejected"

        proxy.token = ticker.access_token          # the user reconnects Zerodha in the dashboard
        assert _next(ws, "BROKER_FEED_RESUMED")["broker"] == "zerodha"
        tick = _next(ws, "market_data")
        assert (tick["symbol"], tick["exchange"], tick["mode"]) == ("INFY", "NSE", 1) and tick["data"]["ltp"] > 0
        assert ticker.accepted == 1 and len(proxy.expired) == 1
