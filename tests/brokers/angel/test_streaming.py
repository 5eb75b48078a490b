"""The SmartStream adapter against the fake SmartStream server: binary packets become the contract's
messages, each instrument is held in its richest wanted mode, the "ping" heartbeat, reconnect with the same
subscriptions, the 1000-token cap split across connections, refused credentials."""
from __future__ import annotations

import asyncio

import pytest

from broker.angel.streaming import AngelStreaming, StreamCredentials
from broker.streaming import FeedInstrument
from broker.ticks import DEPTH, LTP, QUOTE
from tests.fakes.angel import API_KEY, CLIENT_CODE, AngelServer, SmartStreamServer
from tests.fakes.angel.data import base_price
from tests.websocket_proxy.test_streaming_adapter import Bus, bus  # noqa: F401  (the ZeroMQ bus fixture)

SBIN = FeedInstrument("NSE", "SBIN", {"token": "3045"})
NIFTY_FUT = FeedInstrument("NFO", "NIFTY26DEC24FUT", {"token": "35014"})
NIFTY = FeedInstrument("NSE_INDEX", "NIFTY", {"token": "99926000"})


@pytest.fixture
def angel():
    with AngelServer() as server:
        server.jwt, server.feed_token = "jwt-stream", "feed-stream"
        yield server


@pytest.fixture
def stream(angel):
    server = SmartStreamServer(angel)
    yield server
    server.close()


def adapter_for(angel: AngelServer, stream: SmartStreamServer, bus: Bus, feed: str = "", **options) -> AngelStreaming:
    creds = StreamCredentials(API_KEY, CLIENT_CODE, angel.jwt, feed or angel.feed_token, stream.url)
    return AngelStreaming(bus.publisher, creds, backoff_initial=0.05, backoff_max=0.2, **options)


def _near(value: float, token: str) -> bool:
    return abs(value - base_price(token)) < 1.0


def test_snapquote_packets_reach_depth_and_ltp_subscribers(angel, stream, bus):
    async def scenario():
        adapter = adapter_for(angel, stream, bus)
        adapter.subscribe(SBIN, LTP)
        adapter.subscribe(SBIN, DEPTH, 5)
        got = await bus.collect(0.5)
        await adapter.close()
        return got

    got = asyncio.run(scenario())
    assert {topic for topic, _ in got} == {"angel_NSE_SBIN_LTP", "angel_NSE_SBIN_DEPTH"}
    depth = next(m for t, m in got if t.endswith("_DEPTH"))["data"]
    assert _near(depth["ltp"], "3045") and len(depth["depth"]["buy"]) == 5
    assert depth["depth"]["buy"][0]["price"] < depth["ltp"] < depth["depth"]["sell"][0]["price"]
    assert depth["depth"]["buy"][0]["quantity"] == 10 and depth["volume"] > 0
    subscribes = [m for m in stream.messages if isinstance(m, dict) and m["action"] == 1]
    # LTP first, then upgraded to SnapQuote (the old mode dropped): one mode per token at a time
    assert subscribes[-1]["params"] == {"mode": 3, "tokenList": [{"exchangeType": 1, "tokens": ["3045"]}]}
    assert stream.connections == [] or all(len(modes) == 1 for c in stream.connections for modes in c.values())


def test_modes_fall_back_when_the_richer_one_goes_and_unsubscribe_at_the_end(angel, stream, bus):
    async def scenario():
        adapter = adapter_for(angel, stream, bus)
        adapter.subscribe(NIFTY_FUT, QUOTE)
        adapter.subscribe(NIFTY_FUT, LTP)
        await bus.collect(0.3)
        quote_modes = {k: set(v) for k, v in stream.connections[0].items()}
        adapter.unsubscribe(NIFTY_FUT, QUOTE)
        await bus.collect(0.3)
        ltp_modes = {k: set(v) for k, v in stream.connections[0].items()}
        adapter.unsubscribe(NIFTY_FUT, LTP)
        await bus.collect(0.2)
        left = dict(stream.connections[0])
        await adapter.close()
        return quote_modes, ltp_modes, left

    quote_modes, ltp_modes, left = asyncio.run(scenario())
    assert quote_modes == {(2, "35014"): {2}} and ltp_modes == {(2, "35014"): {1}} and left == {}


def test_index_ticks_are_quotes_in_rupees(angel, stream, bus):
    async def scenario():
        adapter = adapter_for(angel, stream, bus)
        adapter.subscribe(NIFTY, QUOTE)
        got = await bus.collect(0.3)
        await adapter.close()
        return got

    got = asyncio.run(scenario())
    assert {topic for topic, _ in got} == {"angel_NSE_INDEX_NIFTY_QUOTE"}
    assert _near(got[-1][1]["data"]["ltp"], "99926000")


def test_heartbeat_is_the_text_ping(angel, stream, bus):
    async def scenario():
        adapter = adapter_for(angel, stream, bus, heartbeat_interval=0.1)
        adapter.subscribe(SBIN, LTP)
        await bus.collect(0.5)
        await adapter.close()

    asyncio.run(scenario())
    assert "ping" in stream.messages


def test_reconnect_resubscribes_after_the_feed_drops(angel, stream, bus):
    async def scenario():
        adapter = adapter_for(angel, stream, bus)
        adapter.subscribe(SBIN, QUOTE)
        adapter.subscribe(NIFTY_FUT, LTP)
        await bus.collect(0.3)
        await asyncio.to_thread(stream.kill)
        await asyncio.to_thread(stream.start)
        got = await bus.collect(1.0)
        await adapter.close()
        return got

    got = asyncio.run(scenario())
    assert stream.accepted == 2
    assert {topic for topic, _ in got} == {"angel_NSE_SBIN_QUOTE", "angel_NFO_NIFTY26DEC24FUT_LTP"}


def test_tokens_beyond_the_cap_go_to_another_connection(angel, stream, bus):
    async def scenario():
        adapter = adapter_for(angel, stream, bus, max_symbols_per_connection=2)
        for index in range(5):
            adapter.subscribe(FeedInstrument("NSE", f"S{index}", {"token": str(5000 + index)}), LTP)
        got = await bus.collect(0.5)
        connections = sorted(len(c) for c in stream.connections)
        await adapter.close()
        return got, connections

    got, connections = asyncio.run(scenario())
    assert connections == [1, 2, 2]
    assert {topic for topic, _ in got} == {f"angel_NSE_S{i}_LTP" for i in range(5)}


def test_a_wrong_feed_token_is_refused_and_nothing_is_published(angel, stream, bus):
    async def scenario():
        adapter = adapter_for(angel, stream, bus, feed="stale")
        adapter.subscribe(SBIN, LTP)
        got = await bus.collect(0.3)
        state = adapter.state
        await adapter.close()
        return got, state

    got, state = asyncio.run(scenario())
    assert got == [] and state == "rejected" and stream.accepted == 0   # a refused token is not retried


def test_the_plugins_feed_takes_the_live_session_and_hides_the_tokens(bus):
    from broker.angel import create_plugin
    from broker.contract import BrokerSession, PluginConfig

    plugin = create_plugin(PluginConfig(settings={"ANGEL_API_KEY": "k"}))
    live = BrokerSession(user_id=1, broker="angel", auth_token="secret-jwt", feed_token="secret-feed",
                         broker_user_id=CLIENT_CODE, extra={"client_code": CLIENT_CODE})
    adapter = plugin.feed(live, bus.publisher)
    creds = adapter.credentials
    assert (creds.api_key, creds.client_code, creds.jwt, creds.feed_token) == ("k", CLIENT_CODE, "secret-jwt", "secret-feed")
    assert creds.url == "wss://smartapisocket.angelone.in/smart-stream" and "secret" not in repr(creds)
    with pytest.raises(ValueError, match="live session"):
        plugin.feed(BrokerSession(user_id=1, broker="angel"), bus.publisher)


def test_the_plugins_feed_publishes_smartstream_ticks(angel, stream, bus):
    from broker.angel import create_plugin
    from broker.contract import BrokerSession, PluginConfig

    plugin = create_plugin(PluginConfig(settings={"ANGEL_API_KEY": API_KEY, "ANGEL_WS_URL": stream.url}))
    live = BrokerSession(user_id=1, broker="angel", auth_token=angel.jwt, feed_token=angel.feed_token,
                         broker_user_id=CLIENT_CODE, extra={"client_code": CLIENT_CODE})

    async def scenario():
        adapter = plugin.feed(live, bus.publisher)
        adapter.subscribe(SBIN, DEPTH, 5)
        got = await bus.collect(1.0)
        await adapter.close()
        return got

    depth = [message for topic, message in asyncio.run(scenario()) if topic == "angel_NSE_SBIN_DEPTH"]
    assert depth and _near(depth[0]["data"]["ltp"], "3045")
