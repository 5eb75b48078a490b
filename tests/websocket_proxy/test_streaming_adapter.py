"""The base streaming adapter against a fake broker WebSocket: normalization, reconnect with resubscribe,
stall detection, and splitting symbols across connections."""
from __future__ import annotations

import asyncio
import json
import time

import pytest
import zmq

from broker.streaming import FeedInstrument, TickPublisher, TimerFeedAdapter
from broker.ticks import DEPTH, LTP, QUOTE, FeedTick, market_data
from tests.support.net import free_port
from tests.websocket_proxy.fake_broker import FakeBrokerAdapter, FakeBrokerServer
from tests.websocket_proxy.test_protocol import authed

pytestmark = pytest.mark.xdist_group("websocket_proxy")


class Bus:
    """A SUB socket bound where adapters publish, like the proxy's."""

    def __init__(self):
        self.port = free_port()
        self.sub = zmq.Context.instance().socket(zmq.SUB)
        self.sub.bind(f"tcp://127.0.0.1:{self.port}")
        self.sub.setsockopt(zmq.SUBSCRIBE, b"")
        self.publisher = TickPublisher(f"tcp://127.0.0.1:{self.port}")

    async def collect(self, seconds: float) -> list[tuple[str, dict]]:
        got = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                topic, payload = self.sub.recv_multipart(zmq.NOBLOCK)
                got.append((topic.decode(), json.loads(payload)))
            except zmq.Again:
                await asyncio.sleep(0.005)
        return got

    def close(self):
        self.publisher.close()
        self.sub.close(0)


@pytest.fixture
def bus():
    b = Bus()
    yield b
    b.close()


def adapter_for(fake: FakeBrokerServer, bus: Bus, **options) -> FakeBrokerAdapter:
    return FakeBrokerAdapter(bus.publisher, url=f"ws://127.0.0.1:{fake.port}", backoff_initial=0.05,
                             backoff_max=0.2, **options)


def test_depth_tick_feeds_each_wanted_mode_under_its_topic(fake_broker, bus):
    async def scenario():
        adapter = adapter_for(fake_broker, bus)
        sbin = FeedInstrument("NSE", "SBIN")
        adapter.subscribe(sbin, LTP)
        adapter.subscribe(sbin, DEPTH, 5)
        got = await bus.collect(0.5)
        await adapter.close()
        return got

    got = asyncio.run(scenario())
    topics = {topic for topic, _ in got}
    assert topics == {"fakebroker_NSE_SBIN_LTP", "fakebroker_NSE_SBIN_DEPTH"}
    ltp = next(m for t, m in got if t.endswith("_LTP"))
    assert ltp["mode"] == 1 and set(ltp["data"]) == {"ltp", "timestamp"}
    depth = next(m for t, m in got if t.endswith("_DEPTH"))
    assert depth["mode"] == 3 and len(depth["data"]["depth"]["sell"]) == 5


def test_quote_normalization_uses_sdk_field_names():
    tick = FeedTick("NSE", "INFY", 1543.6, mode=QUOTE, timestamp=1, open=1530, high=1549.9, low=1527.2,
                close=1528.4, volume=10, last_trade_quantity=15, avg_trade_price=1539.82, oi=7)
    data = market_data(tick, QUOTE, "x")["data"]
    assert data["change"] == pytest.approx(15.2) and data["change_percent"] == pytest.approx(0.9945, abs=1e-4)
    assert data["last_trade_quantity"] == 15 and data["avg_trade_price"] == 1539.82 and data["oi"] == 7


def test_killed_upstream_reconnects_and_resubscribes(fake_broker, bus):
    async def scenario():
        adapter = adapter_for(fake_broker, bus)
        adapter.subscribe(FeedInstrument("NSE", "SBIN"), LTP)
        adapter.subscribe(FeedInstrument("NSE", "INFY"), QUOTE)
        before = await bus.collect(0.3)
        await asyncio.to_thread(fake_broker.kill)
        seen = len(fake_broker.subscribe_log)
        await bus.collect(0.1)   # ticks already in flight
        during = await bus.collect(0.3)
        await asyncio.to_thread(fake_broker.start)
        await asyncio.sleep(0.5)
        after = await bus.collect(0.4)
        status = adapter.status()
        await adapter.close()
        return before, during, after, status, fake_broker.subscribe_log[seen:]

    before, during, after, status, resubscribed = asyncio.run(scenario())
    assert before and not during
    assert {t for t, _ in after} == {"fakebroker_NSE_SBIN_LTP", "fakebroker_NSE_INFY_QUOTE"}
    assert sorted(key for batch in resubscribed for key in batch) == ["NSE|INFY", "NSE|SBIN"]
    assert status["state"] == "connected" and status["connections"][0]["reconnects"] == 1


def test_stalled_upstream_is_detected_and_replaced(fake_broker, bus):
    async def scenario():
        adapter = adapter_for(fake_broker, bus, stall_timeout=0.3)
        adapter.subscribe(FeedInstrument("NSE", "SBIN"), LTP)
        await bus.collect(0.2)
        fake_broker.frozen = True
        await asyncio.sleep(0.6)
        fake_broker.frozen = False
        await bus.collect(0.3)
        status = adapter.status()
        await adapter.close()
        return status

    status = asyncio.run(scenario())
    assert status["connections"][0]["reconnects"] >= 1 and fake_broker.accepted >= 2


def test_symbols_are_split_across_connections_at_the_broker_cap(bus):
    fake = FakeBrokerServer(free_port(), max_symbols=2)
    try:
        async def scenario():
            adapter = adapter_for(fake, bus, max_symbols_per_connection=2)
            names = ["SBIN", "INFY", "TCS", "RELIANCE", "ITC"]
            for name in names:
                adapter.subscribe(FeedInstrument("NSE", name), LTP)
            got = await bus.collect(0.5)
            status = adapter.status()
            adapter.unsubscribe(FeedInstrument("NSE", "ITC"), LTP)
            await asyncio.sleep(0.1)
            after = adapter.status()
            await adapter.close()
            return {t for t, _ in got}, status, after

        topics, status, after = asyncio.run(scenario())
    finally:
        fake.close()
    assert len(topics) == 5
    assert [c["instruments"] for c in status["connections"]] == [2, 2, 1]
    assert [c["instruments"] for c in after["connections"]] == [2, 2]


def test_clients_see_data_resume_after_upstream_dies(proxy, fake_broker):
    client = authed(proxy)
    client.ask({"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": 2}, "subscribe")
    client.until(lambda m: m.get("type") == "market_data")
    fake_broker.kill()
    client.quiet(0.3)
    fake_broker.start()
    tick = client.until(lambda m: m.get("type") == "market_data", timeout=3)
    assert tick["mode"] == 2 and tick["symbol"] == "SBIN"
    assert proxy.snapshot()["upstreams"][0]["adapter"]["connections"][0]["reconnects"] == 1


class CountingFeed(TimerFeedAdapter):
    """A locally computed feed, like the paper broker's: one DEPTH-rich tick per instrument per interval."""

    broker = "sim"

    def generate(self, instruments):
        self.rounds = getattr(self, "rounds", 0) + 1
        return [FeedTick(i.exchange, i.symbol, 100.0 + self.rounds, mode=DEPTH, close=100.0,
                     bids=[(99.5, 10, 1)], asks=[(100.5, 20, 2)]) for i in instruments]


def test_timer_feed_ticks_every_interval_per_instrument_and_stops_on_unsubscribe(bus):
    async def scenario():
        feed = CountingFeed(bus.publisher, interval=0.05)
        sbin, nifty = FeedInstrument("NSE", "SBIN"), FeedInstrument("NSE_INDEX", "NIFTY")
        feed.subscribe(sbin, QUOTE)
        feed.subscribe(nifty, LTP)
        got = await bus.collect(0.5)
        feed.unsubscribe(sbin, QUOTE)
        await bus.collect(0.1)
        after = await bus.collect(0.3)
        await feed.close()
        return got, after

    got, after = asyncio.run(scenario())
    per_topic = {t: sum(1 for x, _ in got if x == t) for t, _ in got}
    assert set(per_topic) == {"sim_NSE_SBIN_QUOTE", "sim_NSE_INDEX_NIFTY_LTP"}
    assert all(7 <= n <= 11 for n in per_topic.values()), per_topic   # 0.5 s at 50 ms
    quote = next(m for t, m in got if t == "sim_NSE_SBIN_QUOTE")["data"]
    assert quote["change"] == pytest.approx(quote["ltp"] - 100.0)
    assert {t for t, _ in after} == {"sim_NSE_INDEX_NIFTY_LTP"}
