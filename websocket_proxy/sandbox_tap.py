"""The sandbox's live ticks: the proxy streams what analyzer-mode users' resting orders wait on and hands
each tick to their sandbox.

Every `interval` seconds `watch()` (services/sandbox_ticks.watched in production, run off the event loop)
names the users whose sandbox runs on a live broker's market and has resting orders or GTTs, with those
instruments. For each instrument the tap holds an LTP subscription in the user's own upstream feed, shared
like any client's (a script subscribed to the same instrument costs no second upstream stream), and
subscribes the bus to its topic. Each tick on such a topic goes to `Watched.tick` (recorded in the user's
LiveMarketView, which wakes the paper matcher; nothing blocking runs on the event loop). Instruments and
users nothing waits on any more are released. Memory: one entry per watched (user, instrument).
"""
from __future__ import annotations

import asyncio
import json
from typing import Any, Awaitable, Callable, Iterable, Protocol

from broker.streaming import FeedInstrument, Subscription
from broker.ticks import LTP, topic_for
from utils.logging import get_logger
from websocket_proxy.bus import TickSubscriber
from websocket_proxy.upstream import AdapterUnavailable, Principal, UpstreamManager, UserFeed

log = get_logger("websocket_proxy.sandbox_tap")


class Watched(Protocol):
    user_id: Any
    broker: str
    session: Any                 # the live broker session (the feed's credentials)
    instruments: tuple[Any, ...]  # master-contract rows: .exchange, .symbol, .token

    def tick(self, exchange: str, symbol: str, ltp: float) -> None: ...


SandboxWatch = Callable[[], Awaitable[Iterable[Watched]]]
_Key = tuple[Any, str]


class SandboxTap:
    def __init__(self, watch: SandboxWatch, upstream: UpstreamManager, subscriber: TickSubscriber,
                 interval: float = 1.0):
        self._watch = watch
        self._upstream = upstream
        self._subscriber = subscriber
        self.interval = interval
        self._feeds: dict[_Key, UserFeed] = {}
        self._held: dict[_Key, dict[bytes, Subscription]] = {}
        self._targets: dict[bytes, list[Watched]] = {}
        self._task: asyncio.Task | None = None
        self.ticks = 0

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            try:
                self.reconcile(list(await self._watch()))
            except asyncio.CancelledError:
                raise
            except Exception as exc:   # the database may be busy or restarting: look again next time
                log.warning("Finding the sandbox users to stream for failed: %s", exc)
            await asyncio.sleep(self.interval)

    def reconcile(self, watched: list[Watched]) -> None:
        """Hold exactly the subscriptions `watched` needs."""
        wanted: dict[_Key, tuple[Watched, dict[bytes, Subscription]]] = {}
        for item in watched:
            subs = {topic_for(item.broker, row.exchange, row.symbol, LTP).encode():
                    Subscription(FeedInstrument(row.exchange, row.symbol, row), LTP) for row in item.instruments}
            wanted[(item.user_id, item.broker)] = (item, subs)
        for key in [key for key in self._held if key not in wanted]:
            self._release_user(key)
        targets: dict[bytes, list[Watched]] = {}
        for key, (item, subs) in wanted.items():
            feed = self._feed(key, item)
            if feed is None:
                continue
            held = self._held[key]
            for topic in [topic for topic in held if topic not in subs]:
                held.pop(topic)
                self._release(feed, topic)
            for topic, sub in subs.items():
                if topic not in held:
                    held[topic] = sub
                    self._upstream.acquire(feed, topic, sub)
                    self._subscriber.want_prefix(topic)
                targets.setdefault(topic, []).append(item)
        self._targets = targets

    def _feed(self, key: _Key, item: Watched) -> UserFeed | None:
        feed = self._feeds.get(key)
        if feed is not None:
            return feed
        principal = Principal(item.user_id, f"sandbox of user {item.user_id}", item.broker, item.session)
        try:
            feed = self._upstream.attach(principal)
        except AdapterUnavailable as exc:
            log.warning("No %s feed for the sandbox of user %s: %s", item.broker, item.user_id, exc)
            return None
        self._feeds[key], self._held[key] = feed, {}
        return feed

    def _release(self, feed: UserFeed, topic: bytes) -> None:
        self._upstream.release(feed, topic)
        self._subscriber.unwant_prefix(topic)

    def _release_user(self, key: _Key) -> None:
        feed = self._feeds.pop(key)
        for topic in self._held.pop(key):
            self._release(feed, topic)
        self._upstream.detach(feed)

    def on_message(self, topic: bytes, payload: bytes) -> None:
        """A bus message: a tick of a watched instrument goes to its users' sandboxes."""
        targets = self._targets.get(topic)
        if not targets:
            return
        message = json.loads(payload)
        ltp = float(message["data"].get("ltp") or 0)
        if ltp <= 0:
            return
        self.ticks += 1
        for item in targets:
            item.tick(message["exchange"], message["symbol"], ltp)

    def status(self) -> dict[str, int]:
        return {"users": len(self._held), "instruments": len(self._targets), "ticks": self.ticks}

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        for key in list(self._held):
            self._release_user(key)
