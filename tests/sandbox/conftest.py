"""Fixtures of the sandbox-on-the-live-market tests: Zerodha connected through the fake Kite server and
its fake ticker, analyzer on, and the WebSocket proxy (the production wiring) when a test needs ticks."""
from __future__ import annotations

import asyncio
import threading
from typing import Iterator

import pytest

from services import broker_session, master_contract
from tests.api.conftest import make_account
from tests.fakes.kite_server import API_KEY, API_SECRET, REQUEST_TOKEN, KiteServer
from tests.fakes.kite_ticker import KiteTickerServer
from tests.security.conftest import FAST_HASHER
from tests.strategies.conftest import Trader
from tests.support.net import free_port
from websocket_proxy.server import ProxyConfig, ProxyServer
from websocket_proxy.wiring import ProductionWiring


@pytest.fixture
def kite() -> Iterator[KiteServer]:
    with KiteServer() as server:
        yield server


@pytest.fixture
def ticker(kite: KiteServer) -> Iterator[KiteTickerServer]:
    server = KiteTickerServer(api_key=API_KEY, access_token=kite.access_token)
    yield server
    server.close()


@pytest.fixture
def trader(make_app, database_url: str, kite: KiteServer, ticker: KiteTickerServer, tmp_path) -> Trader:
    """A user connected to Zerodha (the real login flow against the fake), contract downloaded, analyzer on."""
    app = make_app(PASSWORD_HASHER=FAST_HASHER, ORDER_RATE_LIMIT="1000 per second", API_RATE_LIMIT="1000 per second",
                   DATABASE_URL=database_url, LOGS_DATABASE_URL=database_url, VALID_BROKERS="zerodha,paper",
                   BROKER_API_KEY=API_KEY, BROKER_API_SECRET=API_SECRET, ZERODHA_API_URL=kite.url,
                   ZERODHA_TICKER_URL=ticker.url, ZMQ_PORT=str(free_port()),
                   REDIRECT_URL="http://127.0.0.1:5000/zerodha/callback", WEBHOOK_RATE_LIMIT="1000 per minute",
                   STRATEGY_WORKER=False, STRATEGY_DIR=str(tmp_path / "hosted"))
    made = make_account(app, connect=False)
    account = Trader(made.app, made.client, made.user_id, made.key)
    with app.app_context():
        broker_session.connect(account.user_id, "zerodha", {"request_token": REQUEST_TOKEN, "status": "success"})
        live = broker_session.live_session(account.user_id)
        assert master_contract.download("zerodha", live.plugin, session=live.session, force=True).state == "success"
    assert account.post("analyzer/toggle", mode=True).json["data"]["analyze_mode"] is True
    return account


@pytest.fixture
def proxy(trader: Trader) -> Iterator[ProxyServer]:
    """The WebSocket proxy with the production wiring on the trader's app (its bus on the app's ZMQ_PORT)."""
    settings = trader.app.extensions["openalgo.settings"]
    wiring = ProductionWiring(settings, trader.app)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = ProxyServer(ProxyConfig(port=0, bus_port=settings.ZMQ_PORT, upstream_grace=0.3), wiring.authenticate,
                         wiring.adapter_factory, wiring.lookup_symbol, wiring.brokers,
                         sandbox_watch=wiring.sandbox_watch)
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
    yield server
    asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    wiring.close()
