"""The Dhan streaming adapter against the fake feed: JSON subscriptions by mode, binary packets to the
contract's messages, previous close and OI folded in, reconnect with resubscribe, the 5000 cap split."""
from __future__ import annotations

import asyncio

from broker.dhan.streaming import DhanStreaming, FeedCredentials
from broker.streaming import FeedInstrument
from broker.ticks import DEPTH, LTP, QUOTE
from tests.fakes.dhan import ACCESS_TOKEN, CLIENT_ID, DhanFeedServer
from tests.websocket_proxy.test_streaming_adapter import Bus, bus  # noqa: F401  (the ZeroMQ bus fixture)

HDFC = FeedInstrument("NSE", "HDFCBANK", {"token": "1333", "brexchange": "NSE_EQ"})
OPTION = FeedInstrument("NFO", "NIFTY26DEC2424000CE", {"token": "43120", "brexchange": "NSE_FNO"})
NIFTY = FeedInstrument("NSE_INDEX", "NIFTY", {"token": "13", "brexchange": "IDX_I"})


def adapter_for(feed, bus: Bus, token: str = ACCESS_TOKEN, **options) -> DhanStreaming:
    creds = FeedCredentials(CLIENT_ID, token, feed_url=feed.url)
    return DhanStreaming(bus.publisher, creds, backoff_initial=0.05, backoff_max=0.2, **options)


def _subscriptions(feed) -> list[tuple[int, list[str]]]:
    return [(m["RequestCode"], [i["SecurityId"] for i in m["InstrumentList"]]) for m in feed.messages]


def test_full_packets_reach_depth_and_ltp_subscribers(dhan_feed, bus):
    async def scenario():
        adapter = adapter_for(dhan_feed, bus)
        adapter.subscribe(OPTION, LTP)
        adapter.subscribe(OPTION, DEPTH, 5)
        got = await bus.collect(0.5)
        await adapter.close()
        return got

    got = asyncio.run(scenario())
    assert {topic for topic, _ in got} == {"dhan_NFO_NIFTY26DEC2424000CE_LTP", "dhan_NFO_NIFTY26DEC2424000CE_DEPTH"}
    depth = [m["data"] for t, m in got if t.endswith("_DEPTH")][-1]
    assert len(depth["depth"]["buy"]) == 5 and depth["depth"]["buy"][0]["price"] < depth["ltp"] < depth["depth"]["sell"][0]["price"]
    assert depth["depth"]["buy"][0]["quantity"] == 1800 and depth["depth"]["sell"][4]["orders"] == 4
    assert depth["oi"] == 5612300 and depth["close"] == 100 + 43120 % 1000 / 10 - 2     # the prev-close packet
    assert _subscriptions(dhan_feed)[0] == (21, ["43120"])
    assert dhan_feed.messages[0]["InstrumentList"][0]["ExchangeSegment"] == "NSE_FNO"


def test_quote_and_ticker_modes_and_the_switch_between_them(dhan_feed, bus):
    async def scenario():
        adapter = adapter_for(dhan_feed, bus)
        adapter.subscribe(HDFC, QUOTE)
        adapter.subscribe(NIFTY, LTP)
        quotes = await bus.collect(0.3)
        adapter.unsubscribe(HDFC, QUOTE)
        adapter.subscribe(HDFC, LTP)
        await bus.collect(0.2)
        switched = {k: set(v) for k, v in dhan_feed.connections[0].items()}
        adapter.unsubscribe(HDFC, LTP)
        adapter.unsubscribe(NIFTY, LTP)
        await bus.collect(0.2)
        left = dict(dhan_feed.connections[0])
        await adapter.close()
        return quotes, switched, left

    quotes, switched, left = asyncio.run(scenario())
    quote = [m["data"] for t, m in quotes if t == "dhan_NSE_HDFCBANK_QUOTE"][-1]
    assert quote["volume"] == 1854203 and quote["high"] > quote["ltp"] > quote["low"]
    assert any(t == "dhan_NSE_INDEX_NIFTY_LTP" for t, _ in quotes)
    assert switched == {(1, "1333"): {"ticker"}, (0, "13"): {"ticker"}} and left == {}
    codes = [code for code, _ in _subscriptions(dhan_feed)]
    assert codes[:2] in ([17, 15], [15, 17]) and 18 in codes and codes.count(16) >= 1


def test_a_dropped_feed_resumes_with_the_same_subscriptions(dhan_feed, bus):
    async def scenario():
        adapter = adapter_for(dhan_feed, bus)
        adapter.subscribe(HDFC, QUOTE)
        await bus.collect(0.3)
        dhan_feed.kill()
        await asyncio.sleep(0.2)
        dhan_feed.start()
        await bus.collect(1.0)
        sent_before = dhan_feed.ticks_sent
        after = await bus.collect(0.4)
        await adapter.close()
        return after, sent_before

    after, sent_before = asyncio.run(scenario())
    assert dhan_feed.accepted == 2 and after and dhan_feed.ticks_sent > sent_before
    assert [s for s in _subscriptions(dhan_feed) if s[0] == 17] == [(17, ["1333"]), (17, ["1333"])]


def test_the_per_connection_cap_splits_instruments(bus):
    feed = DhanFeedServer(max_instruments=2)
    try:
        async def scenario():
            adapter = adapter_for(feed, bus, max_symbols_per_connection=2)
            for instrument in (HDFC, OPTION, NIFTY):
                adapter.subscribe(instrument, LTP)
            got = await bus.collect(0.5)
            await adapter.close()
            return got

        got = asyncio.run(scenario())
        assert feed.accepted == 2 and not feed.refused
        assert {t for t, _ in got} == {"dhan_NSE_HDFCBANK_LTP", "dhan_NFO_NIFTY26DEC2424000CE_LTP",
                                       "dhan_NSE_INDEX_NIFTY_LTP"}
    finally:
        feed.close()


def test_a_refused_token_stops_the_feed_after_one_attempt(dhan_feed, bus):
    rejected: list[str] = []

    async def scenario():
        adapter = adapter_for(dhan_feed, bus, token="expired-token")
        adapter.on_token_rejected = rejected.append
        adapter.subscribe(HDFC, LTP)
        await bus.collect(1.0)           # back-off would have retried several times by now
        state = adapter.state
        await adapter.close()
        return state

    assert asyncio.run(scenario()) == "rejected"
    assert dhan_feed.attempts == 1 and dhan_feed.accepted == 0
    assert len(rejected) == 1 and "authentication failed" in rejected[0]


def test_a_token_expiring_mid_stream_stops_the_feed(dhan_feed, bus):
    rejected: list[str] = []

    async def scenario():
        adapter = adapter_for(dhan_feed, bus)
        adapter.on_token_rejected = rejected.append
        adapter.subscribe(HDFC, LTP)
        before = await bus.collect(0.3)
        dhan_feed.expire_token()
        await bus.collect(0.8)
        state = adapter.state
        await adapter.close()
        return before, state

    before, state = asyncio.run(scenario())
    assert before and state == "rejected" and dhan_feed.attempts == 1
    assert rejected == ["Dhan closed the market feed: access token expired"]
