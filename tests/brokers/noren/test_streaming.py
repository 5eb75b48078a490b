"""The Noren WebSocket as the plugins' market feed and push order feed, against the fake: the connect
message, touchline and depth subscriptions, partial tf/df frames merged, a refused session, a dropped
feed resumed with the same subscriptions, `om` messages as OrderEvents."""
from __future__ import annotations

import asyncio
import time

from broker.contract import OrderRequest
from broker.noren.streaming import FeedCredentials, NorenFeed
from broker.streaming import FeedInstrument
from broker.ticks import DEPTH, LTP, QUOTE
from tests.fakes.noren.server import USER_ID
from tests.websocket_proxy.test_streaming_adapter import Bus, bus  # noqa: F401  (the ZeroMQ bus fixture)

ACC = FeedInstrument("NSE", "ACC", {"token": "22", "brexchange": "NSE"})
SBIN = FeedInstrument("NSE", "SBIN", {"token": "3045", "brexchange": "NSE"})


def adapter_for(noren, bus: Bus, token: str | None = None) -> NorenFeed:
    creds = FeedCredentials(USER_ID, token or noren.open_session(), noren.feed.url)
    return NorenFeed("shoonya", bus.publisher, creds, backoff_initial=0.05, backoff_max=0.2)


def test_touchline_and_depth_reach_their_subscribers(noren, bus):
    async def scenario():
        adapter = adapter_for(noren, bus)
        adapter.subscribe(ACC, LTP)
        adapter.subscribe(ACC, QUOTE)
        adapter.subscribe(SBIN, DEPTH, 5)
        got = await bus.collect(0.5)
        await adapter.close()
        return got

    got = asyncio.run(scenario())
    topics = {topic for topic, _ in got}
    assert {"shoonya_NSE_ACC_LTP", "shoonya_NSE_ACC_QUOTE", "shoonya_NSE_SBIN_DEPTH"} <= topics
    login = noren.feed.logins[-1]
    assert (login["t"], login["uid"], login["susertoken"]) == ("c", USER_ID, noren.session_token)
    assert {"t": "t", "k": "NSE|22"} in noren.feed.received and {"t": "d", "k": "NSE|3045"} in noren.feed.received
    quote = [m["data"] for t, m in got if t == "shoonya_NSE_ACC_QUOTE"][-1]
    # tf frames carry no open/high/low: the merged state still has the tk's
    assert quote["open"] > 0 and quote["high"] >= quote["ltp"] >= quote["low"] > 0
    depth = [m["data"] for t, m in got if t == "shoonya_NSE_SBIN_DEPTH"][-1]
    assert len(depth["depth"]["buy"]) == 5 and depth["depth"]["buy"][0]["price"] < depth["ltp"]


def test_a_refused_session_stops_the_feed(noren, bus):
    async def scenario():
        adapter = adapter_for(noren, bus, token="not-a-session")
        reasons = []
        adapter.on_token_rejected = reasons.append
        adapter.subscribe(ACC, LTP)
        await bus.collect(0.5)
        accepted = noren.feed.accepted
        await bus.collect(0.3)
        await adapter.close()
        return reasons, accepted, adapter.rejected

    reasons, accepted, rejected = asyncio.run(scenario())
    assert reasons and "refused" in rejected and noren.feed.accepted == accepted   # no reconnect loop


def test_a_dropped_feed_resumes_with_the_same_subscriptions(noren, bus):
    async def scenario():
        adapter = adapter_for(noren, bus)
        adapter.subscribe(ACC, QUOTE)
        await bus.collect(0.3)
        noren.feed.kill()
        noren.feed.start()
        got = await bus.collect(1.5)
        await adapter.close()
        return got

    got = asyncio.run(scenario())
    assert noren.feed.accepted >= 2 and any(t == "shoonya_NSE_ACC_QUOTE" for t, _ in got)
    assert len([r for r in noren.feed.received if r == {"t": "t", "k": "NSE|22"}]) >= 2


def test_orders_reach_the_push_order_feed(noren, plugin, session, names):
    events = []
    feed = plugin.order_feed(session, events.append)
    feed.connect()
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and {"t": "o", "actid": USER_ID} not in noren.feed.received:
            time.sleep(0.02)
        instrument = names.by_brsymbol("ACC-EQ", "NSE")
        ack = plugin.orders.place_order(session, OrderRequest(instrument=instrument, action="BUY", quantity=1,
                                                              product="MIS", pricetype="LIMIT", price=1.0))
        plugin.orders.cancel_order(session, ack.order_id)
        while time.monotonic() < deadline and not any(e.status == "cancelled" for e in events):
            time.sleep(0.02)
    finally:
        feed.close()
    mine = [e for e in events if e.order_id == ack.order_id]
    assert [e.status for e in mine] == ["open", "cancelled"]
    assert (mine[0].symbol, mine[0].exchange, mine[0].action, mine[0].product) == ("ACC", "NSE", "BUY", "MIS")
