"""Upstream sharing: one streaming adapter per (user, broker), reference-counted subscriptions.

A user's clients share that user's adapter. Each (user, topic) pair is counted across the user's
clients; when a topic's count reaches zero the upstream subscription is released. Users of the same
broker also want the same topics (the topic names the broker, not the user), so each topic is streamed
by exactly one *owner* adapter at a time — otherwise every tick would be published twice — and when the
owner's user lets go while others still want the topic, the next user's adapter takes it over. The
adapter of a user whose last client left is closed after a short grace period (a reconnecting script
keeps its feed).
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from broker.streaming import FeedAdapter, Subscription, TickPublisher
from utils.logging import get_logger

log = get_logger("websocket_proxy.upstream")


@dataclass(frozen=True)
class Principal:
    """Who a feed client is: what the authenticator returns for a valid API key."""

    user_id: Any
    username: str
    broker: str
    credentials: Any = field(default=None, repr=False, compare=False)   # broker auth/feed token


AdapterFactory = Callable[[Principal, TickPublisher], "FeedAdapter | None"]


class AdapterUnavailable(Exception):
    """No streaming adapter exists for the broker, or it could not be created."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


class UserFeed:
    """One user's adapter and the topics that user's clients hold."""

    def __init__(self, principal: Principal, adapter: FeedAdapter):
        self.principal = principal
        self.key = (principal.user_id, principal.broker)
        self.adapter = adapter
        self.clients = 0
        self.topics: dict[bytes, int] = {}
        self.subs: dict[bytes, Subscription] = {}
        self.close_timer: asyncio.TimerHandle | None = None
        self.since = time.time()


class UpstreamManager:
    def __init__(self, factory: AdapterFactory, publisher: TickPublisher, grace: float):
        self._factory = factory
        self._publisher = publisher
        self._grace = grace
        self.feeds: dict[tuple[Any, str], UserFeed] = {}
        self._owner: dict[bytes, tuple[Any, str]] = {}
        self._wanters: dict[bytes, dict[tuple[Any, str], None]] = {}   # insertion-ordered set
        self._closing: set[asyncio.Task] = set()

    # ------------------------------------------------------------------ clients
    def attach(self, principal: Principal) -> UserFeed:
        """Register a new authenticated client; creates the user's adapter (no I/O) if needed."""
        key = (principal.user_id, principal.broker)
        feed = self.feeds.get(key)
        if feed is None:
            try:
                adapter = self._factory(principal, self._publisher)
            except Exception as exc:
                log.warning("Cannot create the %s streaming adapter: %s", principal.broker, exc)
                raise AdapterUnavailable("BROKER_INIT_ERROR", f"Could not start the {principal.broker} feed") from None
            if adapter is None:
                raise AdapterUnavailable("BROKER_ERROR", f"Broker adapter not found for {principal.broker}")
            feed = self.feeds[key] = UserFeed(principal, adapter)
        if feed.close_timer is not None:
            feed.close_timer.cancel()
            feed.close_timer = None
        feed.clients += 1
        return feed

    def detach(self, feed: UserFeed) -> None:
        """A client left (its topics already released); close the adapter after the grace period."""
        feed.clients -= 1
        if feed.clients == 0 and feed.close_timer is None:
            feed.close_timer = asyncio.get_running_loop().call_later(self._grace, self._close_feed, feed)

    def _close_feed(self, feed: UserFeed) -> None:
        feed.close_timer = None
        if feed.clients or self.feeds.get(feed.key) is not feed:
            return
        del self.feeds[feed.key]
        task = asyncio.get_running_loop().create_task(feed.adapter.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)
        log.info("Closed the %s feed of user %s (no clients left)", feed.principal.broker, feed.principal.user_id)

    # ------------------------------------------------------------------ subscriptions
    def acquire(self, feed: UserFeed, topic: bytes, sub: Subscription) -> None:
        count = feed.topics.get(topic, 0)
        feed.topics[topic] = count + 1
        known = feed.subs.get(topic)
        if known is None or sub.depth > known.depth:
            feed.subs[topic] = sub
        if count == 0:
            self._wanters.setdefault(topic, {})[feed.key] = None
        owner = self._owner.get(topic)
        if owner is None:
            self._owner[topic] = feed.key
            feed.adapter.subscribe(sub.instrument, sub.mode, sub.depth)
        elif owner == feed.key and known is not None and sub.depth > known.depth:
            feed.adapter.subscribe(sub.instrument, sub.mode, sub.depth)   # deeper book wanted

    def release(self, feed: UserFeed, topic: bytes) -> None:
        count = feed.topics.get(topic, 0)
        if count > 1:
            feed.topics[topic] = count - 1
            return
        if count == 0:
            return
        del feed.topics[topic]
        sub = feed.subs.pop(topic)
        wanters = self._wanters.get(topic, {})
        wanters.pop(feed.key, None)
        if self._owner.get(topic) == feed.key:
            feed.adapter.unsubscribe(sub.instrument, sub.mode)
            del self._owner[topic]
            if wanters:   # hand the topic over to another user of the same broker
                heir = self.feeds[next(iter(wanters))]
                self._owner[topic] = heir.key
                heir_sub = heir.subs[topic]
                heir.adapter.subscribe(heir_sub.instrument, heir_sub.mode, heir_sub.depth)
        if not wanters:
            self._wanters.pop(topic, None)

    # ------------------------------------------------------------------ lifecycle and stats
    async def close(self) -> None:
        for feed in list(self.feeds.values()):
            if feed.close_timer:
                feed.close_timer.cancel()
        await asyncio.gather(*(feed.adapter.close() for feed in self.feeds.values()), *self._closing,
                             return_exceptions=True)
        self.feeds.clear()

    def status(self) -> list[dict[str, Any]]:
        return [{"user_id": feed.principal.user_id, "broker": feed.principal.broker, "clients": feed.clients,
                 "topics": len(feed.topics), "owned_topics": sum(1 for o in self._owner.values() if o == feed.key),
                 "since": int(feed.since), "closing_in_grace": feed.close_timer is not None,
                 "adapter": feed.adapter.status()} for feed in self.feeds.values()]
