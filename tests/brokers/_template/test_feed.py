"""The template feed on the streaming base against the fake's WebSocket: ticks reach the bus under the
contract's topics, a refused token (at the handshake, or in-band later) stops the feed for good."""
from __future__ import annotations

import asyncio

from broker.contract import BrokerSession
from broker.streaming import FeedInstrument
from broker.ticks import DEPTH, LTP
from tests.websocket_proxy.test_streaming_adapter import Bus, bus  # noqa: F401  (the ZeroMQ bus fixture)

SBIN = FeedInstrument("NSE", "SBIN", {"token": "1001"})


def _run(plugin, bus, token: str, then=None):  # noqa: ANN001, ANN202
    rejections: list[str] = []

    async def scenario():
        adapter = plugin.feed(BrokerSession(user_id=1, broker="template", auth_token=token), bus.publisher)
        adapter.on_token_rejected = rejections.append
        adapter.subscribe(SBIN, LTP)
        adapter.subscribe(SBIN, DEPTH, 5)
        got = await bus.collect(0.5)
        if then is not None:
            await asyncio.to_thread(then)
            got += await bus.collect(0.5)
        state = adapter.state
        await adapter.close()
        return got, state

    got, state = asyncio.run(scenario())
    return got, state, rejections


def test_ticks_reach_each_wanted_mode(plugin, fake, bus):
    got, state, rejections = _run(plugin, bus, fake.access_token)
    topics = {topic for topic, _ in got}
    assert topics == {"template_NSE_SBIN_LTP", "template_NSE_SBIN_DEPTH"} and state == "connected" and not rejections
    depth = next(message for topic, message in got if topic.endswith("DEPTH"))
    assert depth["data"]["ltp"] == fake.prices["1001"] and len(depth["data"]["depth"]["buy"]) == 5


def test_a_token_refused_at_the_handshake_is_not_retried(plugin, fake, bus):
    got, state, rejections = _run(plugin, bus, "stale-token")
    assert got == [] and state == "rejected" and fake.sockets.refused == 1 and len(rejections) == 1


def test_a_token_that_expires_on_a_live_feed_stops_it(plugin, fake, bus):
    got, state, rejections = _run(plugin, bus, fake.access_token, then=fake.expire_token)
    assert got and state == "rejected" and rejections == ["token expired"]
    assert fake.sockets.accepted == 1 and fake.sockets.refused == 0   # no reconnect was tried
