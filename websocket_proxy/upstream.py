"""Upstream sharing: one streaming adapter per (user, broker), reference-counted subscriptions.

A user's clients share that user's adapter. Each (user, topic) pair is counted across the user's
clients; when a topic's count reaches zero the upstream subscription is released. Users of the same
broker also want the same topics (the topic names the broker, not the user), so each topic is streamed
by exactly one *owner* adapter at a time — otherwise every tick would be published twice — and when the
owner's user lets go while others still want the topic, the next user's adapter takes it over. The
adapter of a user whose last client left is closed after a short grace period (a reconnecting script
keeps its feed).

When the broker refuses a user's token (the adapter's `on_token_rejected`), that user's feed stops: the
topics it streamed for others pass to their next wanter, `on_rejected(feed, reason)` lets the server
expire the broker session and tell the user's clients, and the feed waits, asking `recheck(principal)`
every `recheck_interval` seconds (or taking the principal of the user's next authentication) for a
live session of the same broker. With one it builds a new adapter and resubscribes what the user's
clients still hold. Network drops never get here: the adapter reconnects and resubscribes by itself.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

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
# the user's principal now, or None: how a rejected feed learns that the user reconnected the broker
PrincipalCheck = Callable[[Principal], Awaitable["Principal | None"]]


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
        self.rejected = ""                          # why the broker refused the token, until resumed
        self.recheck: asyncio.Task | None = None

    @property
    def live(self) -> bool:
        return not self.rejected


def _reconnected(feed: UserFeed, principal: Principal) -> bool:
    """True when `principal` is a new live session of the broker whose token `feed` had refused."""
    token = getattr(principal.credentials, "auth_token", None)
    return (bool(feed.rejected) and principal.broker == feed.principal.broker and bool(token)
            and token != getattr(feed.principal.credentials, "auth_token", None))


class UpstreamManager:
    def __init__(self, factory: AdapterFactory, publisher: TickPublisher, grace: float, *,
                 on_rejected: Callable[[UserFeed, str], None] | None = None,
                 on_resumed: Callable[[UserFeed], None] | None = None,
                 recheck: PrincipalCheck | None = None, recheck_interval: float = 5.0):
        self._factory = factory
        self._publisher = publisher
        self._grace = grace
        self._on_rejected = on_rejected
        self._on_resumed = on_resumed
        self._recheck = recheck
        self._recheck_interval = recheck_interval
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
            feed = self.feeds[key] = UserFeed(principal, self._new_adapter(principal))
            self._watch(feed)
        elif _reconnected(feed, principal):
            self._resume(feed, principal)   # the user reconnected the broker and a client came back
        if feed.close_timer is not None:
            feed.close_timer.cancel()
            feed.close_timer = None
        feed.clients += 1
        return feed

    def _new_adapter(self, principal: Principal) -> FeedAdapter:
        try:
            adapter = self._factory(principal, self._publisher)
        except Exception as exc:
            log.warning("Cannot create the %s streaming adapter: %s", principal.broker, exc)
            raise AdapterUnavailable("BROKER_INIT_ERROR", f"Could not start the {principal.broker} feed") from None
        if adapter is None:
            raise AdapterUnavailable("BROKER_ERROR", f"Broker adapter not found for {principal.broker}")
        return adapter

    def _watch(self, feed: UserFeed) -> None:
        adapter = feed.adapter
        adapter.on_token_rejected = lambda reason: self._rejected(feed, adapter, reason)

    # ------------------------------------------------------------------ refused tokens
    def _rejected(self, feed: UserFeed, adapter: FeedAdapter, reason: str) -> None:
        if feed.adapter is not adapter or self.feeds.get(feed.key) is not feed:
            return   # an adapter already replaced or closed
        feed.rejected = reason
        for topic, owner in list(self._owner.items()):   # others who want these topics get them elsewhere
            if owner == feed.key:
                del self._owner[topic]
                self._hand_over(topic)
        log.warning("The %s feed of user %s stopped: %s", feed.principal.broker, feed.principal.user_id, reason)
        if self._on_rejected is not None:
            self._on_rejected(feed, reason)
        if self._recheck is not None and feed.recheck is None:
            feed.recheck = asyncio.get_running_loop().create_task(self._wait_for_session(feed))

    async def _wait_for_session(self, feed: UserFeed) -> None:
        try:
            while feed.rejected and self.feeds.get(feed.key) is feed:
                await asyncio.sleep(self._recheck_interval)
                try:
                    principal = await self._recheck(feed.principal)
                except Exception as exc:   # the database may be busy; ask again next time
                    log.warning("Checking the broker session of user %s failed: %s", feed.principal.user_id, exc)
                    continue
                if principal is not None and _reconnected(feed, principal):
                    self._resume(feed, principal)
        finally:
            feed.recheck = None

    def _resume(self, feed: UserFeed, principal: Principal) -> None:
        """A live session again: a fresh adapter streams what the user's clients still hold."""
        try:
            adapter = self._new_adapter(principal)
        except AdapterUnavailable:
            return
        self._close_adapter(feed.adapter)
        feed.adapter, feed.principal, feed.rejected = adapter, principal, ""
        self._watch(feed)
        if feed.recheck is not None and feed.recheck is not asyncio.current_task():
            feed.recheck.cancel()
        for topic, sub in feed.subs.items():
            if topic not in self._owner:
                self._owner[topic] = feed.key
                adapter.subscribe(sub.instrument, sub.mode, sub.depth)
        log.info("The %s feed of user %s resumed", principal.broker, principal.user_id)
        if self._on_resumed is not None:
            self._on_resumed(feed)

    def _hand_over(self, topic: bytes) -> None:
        """Give an unowned topic to the first live feed that wants it (if any)."""
        for key in self._wanters.get(topic, {}):
            heir = self.feeds.get(key)
            if heir is not None and heir.live and topic in heir.subs:
                self._owner[topic] = key
                sub = heir.subs[topic]
                heir.adapter.subscribe(sub.instrument, sub.mode, sub.depth)
                return

    def _close_adapter(self, adapter: FeedAdapter) -> None:
        task = asyncio.get_running_loop().create_task(adapter.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    # ------------------------------------------------------------------ clients (continued)
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
        if feed.recheck is not None:
            feed.recheck.cancel()
        self._close_adapter(feed.adapter)
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
        if owner is None and feed.live:
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
            self._hand_over(topic)   # to another user of the same broker
        if not wanters:
            self._wanters.pop(topic, None)

    # ------------------------------------------------------------------ lifecycle and stats
    async def close(self) -> None:
        for feed in list(self.feeds.values()):
            if feed.close_timer:
                feed.close_timer.cancel()
            if feed.recheck is not None:
                feed.recheck.cancel()
        await asyncio.gather(*(feed.adapter.close() for feed in self.feeds.values()), *self._closing,
                             return_exceptions=True)
        self.feeds.clear()

    def status(self) -> list[dict[str, Any]]:
        return [{"user_id": feed.principal.user_id, "broker": feed.principal.broker, "clients": feed.clients,
                 "topics": len(feed.topics), "owned_topics": sum(1 for o in self._owner.values() if o == feed.key),
                 "since": int(feed.since), "closing_in_grace": feed.close_timer is not None,
                 "token_rejected": feed.rejected or None,
                 "adapter": feed.adapter.status()} for feed in self.feeds.values()]
