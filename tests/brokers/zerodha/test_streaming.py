"""The Zerodha streaming adapter against the fake Kite ticker: the recorded binary frames become the
contract's messages, modes map to Kite's, reconnect resubscribes, and the 3000-instrument cap splits."""
from __future__ import annotations

import asyncio

import pytest

from broker.streaming import FeedInstrument
from broker.ticks import DEPTH, LTP, QUOTE
from broker.zerodha.streaming import TickerCredentials, ZerodhaStreaming
from tests.fakes.kite_ticker import INFY, KiteTickerServer
from tests.websocket_proxy.test_streaming_adapter import Bus, bus  # noqa: F401  (the ZeroMQ bus fixture)


@pytest.fixture
def ticker():
    server = KiteTickerServer()
    yield server
    server.close()


def adapter_for(ticker: KiteTickerServer, bus: Bus, token: str = "kiteaccesstoken", **options) -> ZerodhaStreaming:
    creds = TickerCredentials("kiteapikey", token, ticker_url=ticker.url)
    return ZerodhaStreaming(bus.publisher, creds, backoff_initial=0.05, backoff_max=0.2, **options)


INFY_NSE = FeedInstrument("NSE", "INFY", {"token": "408065"})


def test_recorded_full_frame_reaches_depth_and_ltp_subscribers(ticker, bus):
    async def scenario():
        adapter = adapter_for(ticker, bus)
        adapter.subscribe(INFY_NSE, LTP)
        adapter.subscribe(INFY_NSE, DEPTH, 5)
        got = await bus.collect(0.5)
        await adapter.close()
        return got

    got = asyncio.run(scenario())
    assert {topic for topic, _ in got} == {"zerodha_NSE_INFY_LTP", "zerodha_NSE_INFY_DEPTH"}
    depth = next(m for t, m in got if t.endswith("_DEPTH") and m["data"]["ltp"] == 1573.7)["data"]
    assert depth["depth"]["buy"][0] == {"price": 1573.4, "quantity": 5, "orders": 1}
    assert depth["depth"]["sell"][4] == {"price": 1573.95, "quantity": 724, "orders": 5}
    assert (depth["volume"], depth["close"], depth["ltt"]) == (1192471, 1567.8, 1625461887000)
    assert ticker.messages[:2] == [{"a": "subscribe", "v": [INFY]}, {"a": "mode", "v": ["full", [INFY]]}]


def test_modes_map_to_kite_and_fall_back_when_the_richer_one_goes(ticker, bus):
    async def scenario():
        adapter = adapter_for(ticker, bus)
        adapter.subscribe(INFY_NSE, QUOTE)
        await bus.collect(0.3)
        adapter.unsubscribe(INFY_NSE, QUOTE)
        adapter.subscribe(INFY_NSE, LTP)
        await bus.collect(0.2)
        quote_mode = dict(ticker.connections[0])
        adapter.unsubscribe(INFY_NSE, LTP)
        await bus.collect(0.2)
        left = dict(ticker.connections[0])
        await adapter.close()
        return quote_mode, left

    after_switch, left = asyncio.run(scenario())
    assert {"a": "mode", "v": ["quote", [INFY]]} in ticker.messages
    assert after_switch == {INFY: "ltp"} and left == {}
    assert ticker.messages[-1] == {"a": "unsubscribe", "v": [INFY]}


def test_index_quotes_come_from_the_short_index_packets(ticker, bus):
    nifty = FeedInstrument("NSE_INDEX", "NIFTY", {"token": 256265})

    async def scenario():
        adapter = adapter_for(ticker, bus)
        adapter.subscribe(nifty, QUOTE)
        got = await bus.collect(0.3)
        await adapter.close()
        return got

    got = asyncio.run(scenario())
    assert {topic for topic, _ in got} == {"zerodha_NSE_INDEX_NIFTY_QUOTE"}
    data = got[-1][1]["data"]
    assert data["ltp"] == 100.0 + 256265 % 1000 / 100 and data["close"] == 1567.8 and data["volume"] == 0


def test_reconnect_resubscribes_after_the_ticker_drops(ticker, bus):
    async def scenario():
        adapter = adapter_for(ticker, bus)
        adapter.subscribe(INFY_NSE, QUOTE)
        await bus.collect(0.3)
        await asyncio.to_thread(ticker.kill)
        await asyncio.to_thread(ticker.start)
        got = await bus.collect(1.0)
        await adapter.close()
        return got

    got = asyncio.run(scenario())
    assert ticker.accepted == 2 and got
    assert got[-1][1]["data"]["ltp"] == 1573.15


def test_instruments_beyond_the_cap_go_to_another_connection(ticker, bus):
    async def scenario():
        adapter = adapter_for(ticker, bus, max_symbols_per_connection=2)
        for index in range(5):
            adapter.subscribe(FeedInstrument("NSE", f"S{index}", {"token": 1000 + 256 * index + 1}), LTP)
        got = await bus.collect(0.5)
        connections = sorted(len(c) for c in ticker.connections)
        await adapter.close()
        return got, connections

    got, connections = asyncio.run(scenario())
    assert connections == [1, 2, 2]
    assert {topic for topic, _ in got} == {f"zerodha_NSE_S{i}_LTP" for i in range(5)}


def test_a_refused_token_stops_the_feed_instead_of_reconnecting(ticker, bus):
    rejections = []

    async def scenario():
        adapter = adapter_for(ticker, bus, token="expired")
        adapter.on_token_rejected = rejections.append
        adapter.subscribe(INFY_NSE, LTP)
        got = await bus.collect(0.5)        # back-off is 0.05-0.2 s here: several retries would fit
        state = adapter.state
        await adapter.close()
        return got, state

    got, state = asyncio.run(scenario())
    assert got == [] and state == "rejected" and ticker.accepted == 0
    assert ticker.refused == 1, "a refused token must not be retried"
    assert len(rejections) == 1 and "403" in rejections[0] and "expired" not in rejections[0]


def test_a_network_drop_is_not_a_refused_token(ticker, bus):
    rejections = []

    async def scenario():
        adapter = adapter_for(ticker, bus)
        adapter.on_token_rejected = rejections.append
        adapter.subscribe(INFY_NSE, LTP)
        await bus.collect(0.3)
        await asyncio.to_thread(ticker.kill)     # refused connections while it is down: back off, retry
        await asyncio.sleep(0.4)
        await asyncio.to_thread(ticker.start)
        got = await bus.collect(1.0)
        state = adapter.state
        await adapter.close()
        return got, state

    got, state = asyncio.run(scenario())
    assert rejections == [] and state == "connected" and ticker.accepted == 2
    assert got, "ticks again after the reconnect and resubscribe"


def test_the_plugins_feed_streams_a_live_session_with_the_settings_key_and_url(ticker, bus):
    from broker.contract import BrokerSession, PluginConfig
    from broker.zerodha import create_plugin

    plugin = create_plugin(PluginConfig(settings={"ZERODHA_API_KEY": "kiteapikey", "ZERODHA_TICKER_URL": ticker.url}))
    session = BrokerSession(user_id=1, broker="zerodha", auth_token="kiteaccesstoken")

    async def scenario():
        adapter = plugin.feed(session, bus.publisher)
        adapter.subscribe(INFY_NSE, DEPTH, 5)
        got = await bus.collect(0.5)
        await adapter.close()
        return adapter, got

    adapter, got = asyncio.run(scenario())
    assert isinstance(adapter, ZerodhaStreaming) and "kiteaccesstoken" not in repr(adapter.credentials)
    depth = [message for topic, message in got if topic == "zerodha_NSE_INFY_DEPTH"]
    assert depth and depth[0]["data"]["ltp"] == 1573.7
    assert depth[0]["data"]["depth"]["buy"][0] == {"price": 1573.4, "quantity": 5, "orders": 1}
    with pytest.raises(ValueError, match="live broker session"):
        plugin.feed(BrokerSession(user_id=1, broker="zerodha"), bus.publisher)


def test_through_the_registry_the_feed_defaults_to_kites_real_ticker_and_reads_the_legacy_key(bus):
    from broker.contract import BrokerSession
    from broker.registry import BrokerRegistry

    plugin = BrokerRegistry({"BROKER_API_KEY": "legacykey"}, valid_brokers=["zerodha"]).discover().get("zerodha")
    adapter = plugin.feed(BrokerSession(user_id=1, broker="zerodha", auth_token="t"), bus.publisher)
    assert adapter.credentials.ticker_url == "wss://ws.kite.trade" and adapter.credentials.api_key == "legacykey"
