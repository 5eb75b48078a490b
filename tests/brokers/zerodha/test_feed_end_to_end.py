"""The `openalgo` client's feed through the real proxy, the Zerodha adapter and the fake Kite ticker:
the recorded binary frames reach `subscribe_quote` / `subscribe_depth` as the contract's messages."""
from __future__ import annotations

import asyncio
import threading
from typing import Iterator

import pytest
from openalgo import api

from broker.contract import BrokerSession, Instrument
from broker.contract import PluginConfig
from broker.zerodha import create_plugin
from tests.fakes.kite_ticker import KiteTickerServer
from tests.support.net import free_port
from tests.websocket_proxy.conftest import wait_until
from websocket_proxy.server import ProxyConfig, ProxyServer
from websocket_proxy.upstream import Principal

pytestmark = pytest.mark.xdist_group("websocket_proxy")
API_KEY = "key-zerodha-user-0123456789"
INFY = Instrument(symbol="INFY", brsymbol="INFY", name="INFOSYS", exchange="NSE", brexchange="NSE", token="408065")


@pytest.fixture
def proxy_url() -> Iterator[str]:
    ticker = KiteTickerServer()
    plugin = create_plugin(PluginConfig(settings={"ZERODHA_API_KEY": ticker.api_key, "ZERODHA_TICKER_URL": ticker.url}))
    session = BrokerSession(user_id=7, broker="zerodha", auth_token=ticker.access_token)

    async def authenticate(key: str) -> Principal | None:
        return Principal(7, "trader", "zerodha", session) if key == API_KEY else None

    async def lookup(symbol: str, exchange: str, broker: str) -> Instrument | None:
        return INFY if (symbol, exchange) == ("INFY", "NSE") else None

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    config = ProxyConfig(port=0, bus_port=free_port(), auth_timeout=2.0, upstream_grace=0.3)
    def feed(principal: Principal, publisher):  # noqa: ANN001, ANN202  (what the production wiring does)
        return plugin.feed(principal.credentials, publisher)

    server = ProxyServer(config, authenticate, feed, lookup, supported_brokers=("zerodha",))
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
    yield f"ws://127.0.0.1:{server.port}"
    asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    ticker.close()


def test_sdk_quote_and_depth_from_recorded_kite_frames(proxy_url):
    client = api(api_key=API_KEY, host="http://127.0.0.1:5000", ws_url=proxy_url)
    assert client.connect() is True
    try:
        assert client.subscribe_quote([{"exchange": "NSE", "symbol": "INFY"}])
        assert wait_until(lambda: "NSE" in client.get_quotes().get("quote", {}), timeout=5)
        quote = client.get_quotes()["quote"]["NSE"]["INFY"]
        assert (quote["ltp"], quote["open"], quote["close"], quote["volume"]) == (1573.15, 1569.15, 1567.8, 1175986)
        assert client.subscribe_depth([{"exchange": "NSE", "symbol": "INFY"}])
        assert wait_until(lambda: "NSE" in client.get_depth().get("depth", {}), timeout=5)
        book = client.get_depth()["depth"]["NSE"]["INFY"]
        assert book["buyBook"]["1"]["price"] == 1573.4 and book["sellBook"]["5"]["qty"] == 724
    finally:
        client.disconnect()
