"""Upstream order-update feeds: one per user while any of their connections subscribes to orders.

Brokers that push order updates (capability `order_updates == "push"`) or are polled ("poll") get a
feed built by the wiring's factory (`plugin.order_feed(session, emit)` or `PollingOrderFeed`); its
events are encoded once and handed to the hub under the user's topic on the event loop, in the order
the feed emitted them. A feed marked `shared` (poll-and-diff: one poller serves every proxy) hands its
events to `publish` instead, which puts them on the bus. Feeds are built and closed on a worker thread
(their connect may block). The paper engine needs none: its events arrive on the bus from the
processes that run it.
"""
from __future__ import annotations

import asyncio
from typing import Any, Callable

from broker.contract import OrderEvent
from broker.order_updates import encode, topic_for_user
from utils.logging import get_logger

log = get_logger("websocket_proxy.order_feeds")

# (principal, emit) -> an object with connect() and close(), or None when the user's broker has no feed
OrderFeedFactory = Callable[[Any, Callable[[OrderEvent], None]], Any]


class OrderFeeds:
    def __init__(self, factory: OrderFeedFactory | None, deliver: Callable[[bytes, bytes], None],
                 publish: Callable[[bytes, bytes], None] | None = None):
        self._factory = factory
        self._deliver = deliver
        self._publish = publish or deliver
        self._feeds: dict[int, list[Any]] = {}   # user id → [feed or None, subscriber count]

    async def acquire(self, principal: Any) -> None:
        entry = self._feeds.get(principal.user_id)
        if entry is not None:
            entry[1] += 1
            return
        entry = self._feeds[principal.user_id] = [None, 1]
        if self._factory is None:
            return
        loop = asyncio.get_running_loop()
        topic = topic_for_user(principal.user_id).encode()

        route = [self._deliver]   # set to `publish` before a shared feed connects (its events may come at once)

        def emit(event: OrderEvent) -> None:   # from the feed's thread: encode there, deliver on the loop
            loop.call_soon_threadsafe(route[0], topic, encode(event, principal.broker))

        try:
            feed = await loop.run_in_executor(None, self._start, principal, emit, route)
        except Exception as exc:
            log.warning("order feed for user %s (%s) could not start: %s", principal.user_id, principal.broker, exc)
            return
        if self._feeds.get(principal.user_id) is entry:
            entry[0] = feed
        elif feed is not None:   # everyone left while it started
            await loop.run_in_executor(None, feed.close)

    def _start(self, principal: Any, emit: Callable[[OrderEvent], None], route: list) -> Any:
        feed = self._factory(principal, emit)
        if feed is not None:
            if getattr(feed, "shared", False):
                route[0] = self._publish
            feed.connect()
        return feed

    def release(self, principal: Any) -> None:
        entry = self._feeds.get(principal.user_id)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] <= 0:
            del self._feeds[principal.user_id]
            if entry[0] is not None:
                asyncio.get_running_loop().run_in_executor(None, entry[0].close)

    def status(self) -> dict[str, Any]:
        return {"users": len(self._feeds), "upstream": sum(1 for feed, _ in self._feeds.values() if feed is not None)}

    async def close(self) -> None:
        feeds = [feed for feed, _ in self._feeds.values() if feed is not None]
        self._feeds.clear()
        loop = asyncio.get_running_loop()
        for feed in feeds:
            await loop.run_in_executor(None, feed.close)
