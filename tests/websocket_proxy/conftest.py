"""A real proxy on free ports in a background event loop, with in-memory stand-ins for the other teams'
parts (API-key verification, master-contract look-up) and the fake broker feed behind it."""
from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, Callable, Iterator

import pytest

from tests.support.net import free_port
from tests.websocket_proxy.fake_broker import FakeBrokerAdapter, FakeBrokerServer
from websocket_proxy.server import ProxyConfig, ProxyServer
from websocket_proxy.upstream import Principal

KEYS = {
    "key-alice-0123456789": Principal(1, "alice", "fakebroker"),
    "key-alice2-0123456789": Principal(1, "alice", "fakebroker"),
    "key-bob-0123456789": Principal(2, "bob", "fakebroker"),
}
KNOWN = {("SBIN", "NSE"), ("INFY", "NSE"), ("NIFTY", "NSE_INDEX"), ("TCS", "NSE"), ("RELIANCE", "NSE")}


def wait_until(predicate: Callable[[], Any], timeout: float = 2.0) -> bool:
    """Poll `predicate` until it is true or `timeout` seconds passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


class ProxyHarness:
    """Runs a ProxyServer on its own loop thread; `call` runs a coroutine or function there."""

    def __init__(self, config: ProxyConfig, factory: Callable, lookups: list | None = None):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.lookups = lookups if lookups is not None else []

        async def authenticate(api_key: str) -> Principal | None:
            await asyncio.sleep(0)
            return KEYS.get(api_key)

        async def lookup(symbol: str, exchange: str, broker: str) -> bool:
            self.lookups.append((symbol, exchange))
            return (symbol, exchange) in KNOWN

        self.server = ProxyServer(config, authenticate, factory, lookup, supported_brokers=("fakebroker",))
        self.call(self.server.start())
        self.url = f"ws://127.0.0.1:{self.server.port}"

    def call(self, job: Any, timeout: float = 15) -> Any:
        if asyncio.iscoroutine(job):
            return asyncio.run_coroutine_threadsafe(job, self.loop).result(timeout)

        async def run():
            return job()
        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout)

    def snapshot(self) -> dict[str, Any]:
        return self.call(self.server.snapshot)

    def close(self) -> None:
        try:
            self.call(self.server.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)
            self.loop.close()


@pytest.fixture
def fake_broker() -> Iterator[FakeBrokerServer]:
    server = FakeBrokerServer(free_port())
    yield server
    server.close()


@pytest.fixture
def make_proxy(fake_broker: FakeBrokerServer) -> Iterator[Callable[..., ProxyHarness]]:
    harnesses: list[ProxyHarness] = []

    def build(adapter_options: dict | None = None, **config: Any) -> ProxyHarness:
        options = {"url": f"ws://127.0.0.1:{fake_broker.port}", "backoff_initial": 0.05, "backoff_max": 0.2,
                   **(adapter_options or {})}

        def factory(principal: Principal, publisher):
            return FakeBrokerAdapter(publisher, credentials=principal.credentials, **options)

        settings = {"host": "127.0.0.1", "port": 0, "bus_port": free_port(), "auth_timeout": 2.0,
                    "upstream_grace": 0.3, **config}
        harness = ProxyHarness(ProxyConfig(**settings), factory)
        harnesses.append(harness)
        return harness

    yield build
    for harness in harnesses:
        harness.close()


@pytest.fixture
def proxy(make_proxy) -> ProxyHarness:
    return make_proxy()
