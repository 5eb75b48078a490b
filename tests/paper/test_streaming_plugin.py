"""The paper plugin's feed (`BrokerPlugin.feed`): simulated ticks for what is subscribed, every
PAPER_TICK_INTERVAL_MS, until the adapter is closed."""
from __future__ import annotations

import asyncio

import pytest

from broker.contract import BrokerSession, PluginConfig
from broker.paper import create_plugin
from broker.paper.instruments import catalog
from broker.streaming import FeedInstrument
from broker.ticks import LTP
from tests.websocket_proxy.test_streaming_adapter import Bus, bus  # noqa: F401  (the ZeroMQ bus fixture)
from utils.market_calendar import now_ist

pytestmark = pytest.mark.dates  # the day and time matter: ./test.sh reruns it under shifted clocks


def test_subscribed_instruments_tick_on_the_bus_until_closed(bus):
    plugin = create_plugin(PluginConfig(settings={"PAPER_TICK_INTERVAL_MS": 50}))
    assert catalog(now_ist().date(), 0).lookup("SBIN", "NSE") is not None

    async def scenario():
        adapter = plugin.feed(BrokerSession(user_id=1, broker="paper"), bus.publisher)
        adapter.subscribe(FeedInstrument("NSE", "SBIN"), LTP)
        got = await bus.collect(1.5)
        for _ in range(10):   # a loaded machine: the day's first prices take a while; 10 s at most
            if len(got) >= 3:
                break
            got += await bus.collect(1.0)
        await adapter.close()
        await bus.collect(0.5)           # ticks published before close() may still be on their way
        after = await bus.collect(0.5)   # none may follow
        return got, after

    got, after = asyncio.run(scenario())
    assert len(got) >= 3, "the paper feed should tick every 50 ms (at least 3 within seconds, even on a loaded machine)"
    assert {topic for topic, _ in got} == {"paper_NSE_SBIN_LTP"}
    assert all(m["data"]["ltp"] > 0 and m["data"]["timestamp"] > 0 for _, m in got)
    assert after == [], "ticks kept arriving after close()"
