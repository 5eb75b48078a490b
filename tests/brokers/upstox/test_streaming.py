"""The Upstox market-data adapter against the fake protobuf feed: authorize → connect → subscribe, modes,
ticks on the bus, reconnect with a fresh URL and the same subscriptions, and an expired token."""
from __future__ import annotations

import asyncio

import pytest

from broker.contract import BrokerSession
from broker.streaming import FeedInstrument as Instrument
from broker.ticks import DEPTH, LTP, QUOTE
from broker.upstox import feed_access
from broker.upstox.streaming import UpstoxStreaming
from tests.fakes.upstox.feed import base_price
from tests.websocket_proxy.test_streaming_adapter import Bus, bus  # noqa: F401  (the ZeroMQ bus fixture)

RELIANCE = Instrument("NSE", "RELIANCE", {"token": "NSE_EQ|INE002A01018"})
NIFTY = Instrument("NSE_INDEX", "NIFTY", {"token": "NSE_INDEX|Nifty 50"})


def adapter_for(plugin, session: BrokerSession, bus: Bus, **options) -> UpstoxStreaming:
    access = feed_access(plugin.orders.client, session, "/v3/feed/market-data-feed/authorize")
    return UpstoxStreaming(bus.publisher, access, backoff_initial=0.05, backoff_max=0.2, **options)


def test_full_frames_reach_depth_quote_and_ltp_subscribers(upstox, plugin, session, bus):
    async def scenario():
        adapter = adapter_for(plugin, session, bus)
        adapter.subscribe(RELIANCE, LTP)
        adapter.subscribe(RELIANCE, DEPTH, 5)
        adapter.subscribe(NIFTY, QUOTE)
        got = await bus.collect(0.6)
        await adapter.close()
        return got, adapter.market_status

    got, status = asyncio.run(scenario())
    topics = {topic for topic, _ in got}
    assert {"upstox_NSE_RELIANCE_LTP", "upstox_NSE_RELIANCE_DEPTH", "upstox_NSE_INDEX_NIFTY_QUOTE"} <= topics
    depth = next(m for t, m in got if t.endswith("RELIANCE_DEPTH"))["data"]
    assert len(depth["depth"]["buy"]) == 5 and depth["depth"]["buy"][0]["price"] < depth["ltp"]
    assert depth["close"] == base_price(RELIANCE.info["token"]) and depth["volume"] > 0
    assert status["NSE_EQ"] == "NORMAL_OPEN"
    subs = [r for r in upstox.feed.requests if r["method"] == "sub"]
    # one mode per instrument: the richest wanted (depth → full), for the index too (quote → full)
    assert all(r["data"]["mode"] == "full" for r in subs)
    assert {k for r in subs for k in r["data"]["instrumentKeys"]} == {"NSE_EQ|INE002A01018", "NSE_INDEX|Nifty 50"}
    assert len(upstox.requests_to("/v3/feed/market-data-feed/authorize")) == 1


def test_dropping_the_richer_mode_falls_back_to_ltpc_and_the_last_one_unsubscribes(upstox, plugin, session, bus):
    async def scenario():
        adapter = adapter_for(plugin, session, bus)
        adapter.subscribe(RELIANCE, LTP)
        adapter.subscribe(RELIANCE, QUOTE)
        await bus.collect(0.3)
        adapter.unsubscribe(RELIANCE, QUOTE)
        await bus.collect(0.2)
        after_quote = dict(upstox.feed.subscriptions[0])
        adapter.unsubscribe(RELIANCE, LTP)
        await bus.collect(0.2)
        left = dict(upstox.feed.subscriptions[0])
        await adapter.close()
        return after_quote, left

    after_quote, left = asyncio.run(scenario())
    assert after_quote == {"NSE_EQ|INE002A01018": "ltpc"} and left == {}
    assert upstox.feed.requests[-1]["method"] == "unsub"


def test_reconnect_gets_a_fresh_url_and_resubscribes_after_the_feed_drops(upstox, plugin, session, bus):
    async def scenario():
        adapter = adapter_for(plugin, session, bus)
        adapter.subscribe(RELIANCE, QUOTE)
        await bus.collect(0.3)
        await asyncio.to_thread(upstox.feed.kill)
        await asyncio.to_thread(upstox.feed.start)
        got = await bus.collect(1.5)
        await adapter.close()
        return got

    got = asyncio.run(scenario())
    assert upstox.feed.accepted == 2 and got
    assert len(upstox.requests_to("/v3/feed/market-data-feed/authorize")) == 2
    assert upstox.feed.requests[-1]["data"]["instrumentKeys"] == ["NSE_EQ|INE002A01018"]


def test_an_expired_token_stops_the_feed_after_one_authorize_call(upstox, plugin, session, bus):
    upstox.expire_token()
    reasons = []

    async def scenario():
        adapter = adapter_for(plugin, session, bus)
        adapter.on_token_rejected = reasons.append
        adapter.subscribe(RELIANCE, LTP)
        got = await bus.collect(0.5)
        state = adapter.state
        await adapter.close()
        return got, state

    got, state = asyncio.run(scenario())
    assert got == [] and state == "rejected" and upstox.feed.accepted == 0
    assert len(upstox.requests_to("/v3/feed/market-data-feed/authorize")) == 1      # no retry loop
    assert reasons and "Invalid token" in reasons[0]


def test_the_plugins_feed_streams_a_live_session(upstox, plugin, session, bus):
    async def scenario():
        adapter = plugin.feed(session, bus.publisher)
        adapter.subscribe(RELIANCE, DEPTH, 5)
        got = await bus.collect(0.5)
        await adapter.close()
        return adapter, got

    adapter, got = asyncio.run(scenario())
    assert isinstance(adapter, UpstoxStreaming) and upstox.access_token not in repr(adapter.credentials)
    depth = [message for topic, message in got if topic == "upstox_NSE_RELIANCE_DEPTH"]
    assert depth and depth[0]["data"]["ltp"] >= base_price("NSE_EQ|INE002A01018")
    with pytest.raises(ValueError, match="live broker session"):
        plugin.feed(BrokerSession(user_id=1, broker="upstox"), bus.publisher)


@pytest.mark.parametrize("count", [1500])
def test_the_declared_cap_fits_upstox_mixed_mode_limits(upstox, plugin, session, bus, count):
    """1500 instruments in full mode plus LTP on one connection stays inside the combined limits."""
    async def scenario():
        adapter = adapter_for(plugin, session, bus)
        for n in range(count):
            adapter.subscribe(Instrument("NFO", f"X{n}", {"token": f"NSE_FO|{n}"}), DEPTH if n % 2 else LTP)
        await bus.collect(0.5)
        live = [dict(s) for s in upstox.feed.subscriptions]
        await adapter.close()
        return live

    live = asyncio.run(scenario())
    assert upstox.feed.closed_for_limit == [] and sum(len(s) for s in live) == count


def test_a_connection_beyond_upstoxs_limit_is_refused_without_ending_the_session(upstox, plugin, session, bus):
    """Instruments past the per-connection cap need a second connection, which Upstox refuses (one per
    app and user): the first keeps streaming, and the refusal is not taken for an expired token."""
    async def scenario():
        adapter = adapter_for(plugin, session, bus, max_symbols_per_connection=1)
        adapter.subscribe(RELIANCE, LTP)
        adapter.subscribe(NIFTY, LTP)
        got = await bus.collect(1.0)
        state = adapter.state
        await adapter.close()
        return got, state

    got, state = asyncio.run(scenario())
    assert state != "rejected" and upstox.feed.accepted == 1
    streamed = {topic for topic, _ in got}         # whichever link connected first keeps streaming
    assert len(streamed) == 1 and streamed <= {"upstox_NSE_RELIANCE_LTP", "upstox_NSE_INDEX_NIFTY_LTP"}
