"""The market-data WebSocket server: authentication, subscriptions and the stats endpoint.

Each connection is handled by one coroutine that reads the client's requests in order; ticks never pass
through it (the bus reader hands them to the `Hub`, which writes to sockets directly). Authentication
and symbol look-ups are awaited callables supplied by the caller (see `wiring.py` for production and the
tests for in-memory ones), so nothing slow ever runs on the event loop.
"""
from __future__ import annotations

import asyncio
import http
import json
import os
import socket
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from broker.streaming import FeedInstrument, Subscription, TickPublisher
from broker.ticks import DEPTH, MODE_LABELS, topic_for
from utils.logging import get_logger
from websocket_proxy import protocol as wire
from broker.order_updates import topic_for_user
from websocket_proxy.bus import ORDER_TOPIC_PREFIX, TickSubscriber, endpoint
from websocket_proxy.hub import ClientSession, Hub, Stats
from websocket_proxy.order_feeds import OrderFeedFactory, OrderFeeds
from websocket_proxy.protocol import AUTH_TIMEOUT_CODE, Item, ProtocolError
from websocket_proxy.sandbox_tap import SandboxTap, SandboxWatch
from websocket_proxy.upstream import (AdapterFactory, AdapterUnavailable, Principal, PrincipalCheck, UpstreamManager,
                                      UserFeed)

log = get_logger("websocket_proxy")

Authenticator = Callable[[str], Awaitable["Principal | None"]]
# (principal, reason) → marks the user's broker session expired (the production wiring; tests record it)
SessionRejected = Callable[[Principal, str], Awaitable[None]]
# (symbol, exchange, broker) → falsy when unknown, else True or the master-contract record
SymbolCheck = Callable[[str, str, str], Awaitable[Any]]
# principal → the encoded `order_update` messages of the user's current orders (sent on subscribe_orders)
OrderSnapshot = Callable[[Principal], Awaitable[list[bytes]]]
SNAPSHOT_TIMEOUT = 5.0

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


async def accept_any_symbol(symbol: str, exchange: str, broker: str) -> bool:
    return True


@dataclass(frozen=True)
class ProxyConfig:
    host: str = "127.0.0.1"
    port: int = 8765
    bus_host: str = "127.0.0.1"
    bus_port: int = 5555
    forwarder_port: int = 0          # 0: bind the bus here; else connect to the forwarder's XPUB
    auth_timeout: float = 15.0
    auth_deadline: float = 4.0       # the SDK waits 5 s for the auth answer
    send_buffer: int = 64 * 1024
    slow_timeout: float = 5.0
    upstream_grace: float = 5.0
    max_subscriptions: int = 1000
    ping_interval: float = 20.0
    session_recheck: float = 5.0     # seconds between looks for a reconnected broker after a refused token

    @classmethod
    def from_settings(cls, settings: Any) -> "ProxyConfig":
        return cls(host=settings.WEBSOCKET_HOST, port=settings.WEBSOCKET_PORT, bus_host=settings.ZMQ_HOST,
                   bus_port=settings.ZMQ_PORT, forwarder_port=settings.ZMQ_FORWARDER_PORT,
                   auth_timeout=settings.WEBSOCKET_AUTH_TIMEOUT, send_buffer=settings.WEBSOCKET_SEND_BUFFER,
                   slow_timeout=settings.WEBSOCKET_SLOW_CLIENT_TIMEOUT,
                   upstream_grace=settings.WEBSOCKET_UPSTREAM_GRACE,
                   max_subscriptions=settings.WEBSOCKET_MAX_SUBSCRIPTIONS)


class ProxyServer:
    def __init__(self, config: ProxyConfig, authenticate: Authenticator, adapter_factory: AdapterFactory,
                 lookup_symbol: SymbolCheck = accept_any_symbol, supported_brokers: tuple[str, ...] = (),
                 order_snapshot: OrderSnapshot | None = None, order_feed_factory: OrderFeedFactory | None = None,
                 session_rejected: SessionRejected | None = None, recheck_principal: PrincipalCheck | None = None,
                 sandbox_watch: SandboxWatch | None = None):
        """`sandbox_watch`: who needs live ticks for their sandbox (analyzer mode on a live market) and
        which; the proxy then streams those instruments to them (websocket_proxy/sandbox_tap.py)."""
        self.config = config
        self._sandbox_watch = sandbox_watch
        self.tap: SandboxTap | None = None
        self._session_rejected = session_rejected
        self._recheck_principal = recheck_principal
        self._background: set[asyncio.Task] = set()
        self._order_snapshot = order_snapshot
        self.order_feeds = OrderFeeds(order_feed_factory, self._dispatch, self._publish_order)
        self._authenticate = authenticate
        self._lookup_symbol = lookup_symbol
        self._factory = adapter_factory
        self.supported_brokers = supported_brokers
        self.stats = Stats()
        self.sessions: set[ClientSession] = set()
        self._symbol_cache: OrderedDict[tuple[str, str, str], Any] = OrderedDict()
        self._server: Server | None = None
        self.subscriber: TickSubscriber | None = None
        self.publisher: TickPublisher | None = None
        self.upstream: UpstreamManager | None = None
        self.hub: Hub | None = None
        self._actions = {"authenticate": self._on_auth, "subscribe": self._on_subscribe,
                         "unsubscribe": self._on_unsubscribe, "unsubscribe_all": self._on_unsubscribe,
                         "ping": self._on_ping, "get_broker_info": self._on_broker_info,
                         "get_supported_brokers": self._on_supported_brokers,
                         "subscribe_orders": self._on_orders, "unsubscribe_orders": self._on_orders}

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Bind the bus and the WebSocket port; raises BusError / OSError when either is taken."""
        cfg = self.config
        bind = not cfg.forwarder_port
        sub_port = cfg.bus_port if bind else cfg.forwarder_port
        self.subscriber = TickSubscriber(endpoint(cfg.bus_host, sub_port), bind=bind, dispatch=self._dispatch)
        self.hub = Hub(self.stats, cfg.send_buffer, cfg.slow_timeout, self.subscriber.want, self.subscriber.unwant)
        # every order event comes in at once (few, and a subscription must not miss the first one while
        # it travels to the publishers); the hub hands each only to its user's subscribed connections
        self.subscriber.want_prefix(ORDER_TOPIC_PREFIX)
        self.publisher = TickPublisher(endpoint(cfg.bus_host, cfg.bus_port))
        self.upstream = UpstreamManager(self._factory, self.publisher, cfg.upstream_grace,
                                        on_rejected=self._feed_rejected, on_resumed=self._feed_resumed,
                                        recheck=self._recheck_principal, recheck_interval=cfg.session_recheck)
        try:
            self._server = await serve(self._handle, cfg.host, cfg.port, process_request=self._http,
                                       ping_interval=cfg.ping_interval, ping_timeout=cfg.ping_interval,
                                       write_limit=cfg.send_buffer, close_timeout=2, max_size=2 ** 16,
                                       max_queue=64, server_header="openalgo-feed")
        except OSError:
            self.subscriber.close()
            self.publisher.close()
            raise
        self.subscriber.start()
        if self._sandbox_watch is not None:
            self.tap = SandboxTap(self._sandbox_watch, self.upstream, self.subscriber)
            self.tap.start()
        log.info("Market-data WebSocket listening on ws://%s:%s (bus %s)", cfg.host, self.port,
                 self.subscriber.address)

    def _dispatch(self, topic: bytes, payload: bytes) -> None:
        if self.tap is not None:
            self.tap.on_message(topic, payload)
        self.hub.dispatch(topic, payload)

    def _publish_order(self, topic: bytes, payload: bytes) -> None:
        """A shared order feed's event, on the bus: this proxy's subscriber hands it back to the hub, and
        every other proxy's too (the loop thread is the publisher's only user)."""
        if self.publisher is not None:
            self.publisher.publish(topic.decode(), payload)
        else:
            self._dispatch(topic, payload)

    # ------------------------------------------------------------------ refused broker tokens
    def _feed_rejected(self, feed: UserFeed, reason: str) -> None:
        """The broker refused the user's token: expire their broker session and tell their clients."""
        self.stats.events["broker_tokens_rejected"] += 1
        principal = feed.principal

        async def expire_then_tell() -> None:
            # expired first, so a script that reacts to the message finds the session already ended
            if self._session_rejected is not None:
                try:
                    await asyncio.wait_for(self._session_rejected(principal, reason), 10)
                except Exception as exc:
                    log.warning("Expiring the %s session of user %s failed: %s", principal.broker,
                                principal.user_id, exc)
            self._tell_clients(feed, wire.broker_session_expired(principal.broker, reason))

        self._in_background(expire_then_tell(), "handling a refused broker token")

    def _feed_resumed(self, feed: UserFeed) -> None:
        self._tell_clients(feed, wire.broker_feed_resumed(feed.principal.broker))

    def _tell_clients(self, feed: UserFeed, message: dict[str, Any]) -> None:
        text = wire.dumps(message)
        for session in list(self.sessions):
            if session.feed is feed and not session.closing:
                self._in_background(session.conn.send(text), "telling a client")

    def _in_background(self, job: Awaitable[Any], what: str) -> None:
        async def run() -> None:
            try:
                await job
            except ConnectionClosed:
                pass
            except Exception as exc:
                log.warning("%s failed: %s", what, exc)

        task = asyncio.get_running_loop().create_task(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    @property
    def port(self) -> int:
        return self._server.sockets[0].getsockname()[1] if self._server else self.config.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        if self.tap is not None:
            await self.tap.close()
        if self.upstream is not None:
            await self.upstream.close()
        await self.order_feeds.close()
        for part in (self.subscriber, self.publisher):
            if part is not None:
                part.close()

    # ------------------------------------------------------------------ connections
    async def _handle(self, conn: ServerConnection) -> None:
        session = ClientSession(conn)
        self.sessions.add(session)
        sock = conn.transport.get_extra_info("socket")
        if sock is not None:   # a small kernel buffer too, so a lagging client's backlog is coalesced, not queued
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.config.send_buffer)
        self.stats.events["connections"] += 1
        session.auth_timer = asyncio.get_running_loop().call_later(
            self.config.auth_timeout, self._auth_expired, session)
        try:
            async for raw in conn:
                reply = await self._on_frame(session, raw)
                if reply is not None:
                    await conn.send(wire.dumps(reply))
        except ConnectionClosed:
            pass
        finally:
            self._cleanup(session)

    def _auth_expired(self, session: ClientSession) -> None:
        session.auth_timer = None
        if session.principal is None and not session.closing:
            session.closing = True
            self.stats.events["auth_timeouts"] += 1
            asyncio.get_running_loop().create_task(session.conn.close(AUTH_TIMEOUT_CODE, "auth timeout"))

    def _cleanup(self, session: ClientSession) -> None:
        session.closing = True
        if session.auth_timer is not None:
            session.auth_timer.cancel()
        for topic in list(session.subscriptions):
            self._drop(session, topic)
        self._drop_orders(session)
        if session.feed is not None:
            self.upstream.detach(session.feed)
            session.feed = None
        if session.flusher is not None:
            session.flusher.cancel()
        session.pending = None
        self.sessions.discard(session)

    async def _on_frame(self, session: ClientSession, raw: str | bytes) -> dict[str, Any] | None:
        try:
            action, message = wire.parse_frame(raw)
            handler = self._actions.get(action)
            if handler is None:
                raise ProtocolError("INVALID_ACTION", f"Invalid action: {action}")
            return await handler(session, message)
        except ProtocolError as exc:
            return wire.error(exc.code, exc.message)
        except Exception:
            log.exception("Feed request failed")
            return wire.error("SERVER_ERROR", "The server could not process this message")

    # ------------------------------------------------------------------ actions
    async def _on_auth(self, session: ClientSession, message: dict[str, Any]) -> dict[str, Any]:
        api_key = wire.api_key_of(message)
        try:
            principal = await asyncio.wait_for(self._authenticate(api_key), self.config.auth_deadline)
        except TimeoutError:
            log.warning("API-key verification took longer than %.0f s", self.config.auth_deadline)
            raise ProtocolError("AUTHENTICATION_ERROR", "Authentication is unavailable; try again") from None
        if principal is None:
            self.stats.events["auth_failed"] += 1
            raise ProtocolError("AUTHENTICATION_ERROR", "Invalid API key")
        if session.principal is not None:
            if (principal.user_id, principal.broker) != (session.principal.user_id, session.principal.broker):
                raise ProtocolError("AUTHENTICATION_ERROR", "Already authenticated as another user; reconnect")
        else:
            try:
                session.feed = self.upstream.attach(principal)
            except AdapterUnavailable as exc:
                raise ProtocolError(exc.code, str(exc)) from None
            session.principal = principal
            if session.auth_timer is not None:
                session.auth_timer.cancel()
                session.auth_timer = None
            self.stats.events["auth_ok"] += 1
        return wire.auth_success(principal.broker, principal.username, session.feed.adapter.supported_modes)

    def _require_auth(self, session: ClientSession) -> Principal:
        if session.principal is None:
            raise ProtocolError("NOT_AUTHENTICATED", "You must authenticate first")
        return session.principal

    async def _on_subscribe(self, session: ClientSession, message: dict[str, Any]) -> dict[str, Any]:
        principal = self._require_auth(session)
        items = wire.parse_items(message, need_depth=True)
        results = [await self._subscribe_item(session, principal.broker, item) for item in items]
        return wire.subscribe_ack(results, principal.broker, message.get("request_id"))

    async def _subscribe_item(self, session: ClientSession, broker: str, item: Item) -> dict[str, Any]:
        adapter = session.feed.adapter
        if not item.symbol or not item.exchange:
            return wire.item_error(item, broker, "symbol and exchange are required")
        if item.mode not in adapter.supported_modes:
            return wire.item_error(item, broker, f"{MODE_LABELS[item.mode]} mode is not supported by {broker}")
        depth = item.depth
        if item.mode == DEPTH and depth not in adapter.depth_levels:
            allowed = ", ".join(map(str, adapter.depth_levels))
            return wire.item_error(item, broker, f"Depth {item.depth} is not supported by {broker}; use {allowed}")
        if item.mode != DEPTH and depth not in adapter.depth_levels:
            depth = adapter.depth_levels[0]
        topic = topic_for(broker, item.exchange, item.symbol, item.mode).encode()
        if topic in session.subscriptions:
            return wire.item_success(item, broker, depth)
        if len(session.subscriptions) >= self.config.max_subscriptions:
            return wire.item_error(item, broker, f"Subscription limit of {self.config.max_subscriptions} "
                                                 f"per connection reached")
        info = await self._instrument(item.symbol, item.exchange, broker)
        if not info:
            return wire.item_error(item, broker, f"Unknown symbol {item.symbol} on exchange {item.exchange}")
        if session.closing:
            return wire.item_error(item, broker, "Connection closing")
        sub = Subscription(FeedInstrument(item.exchange, item.symbol, None if info is True else info), item.mode, depth)
        session.subscriptions[topic] = sub
        self.upstream.acquire(session.feed, topic, sub)
        self.hub.add(session, topic)
        return wire.item_success(item, broker, depth)

    async def _instrument(self, symbol: str, exchange: str, broker: str) -> Any:
        key = (symbol, exchange, broker)
        cache = self._symbol_cache
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
        info = await self._lookup_symbol(symbol, exchange, broker)
        if info:   # only known symbols are cached: a symbol added by a contract reload shows up at once
            cache[key] = info
            if len(cache) > 20_000:
                cache.popitem(last=False)
        return info

    def _drop(self, session: ClientSession, topic: bytes) -> None:
        session.subscriptions.pop(topic)
        self.hub.remove(session, topic)
        self.upstream.release(session.feed, topic)

    async def _on_unsubscribe(self, session: ClientSession, message: dict[str, Any]) -> dict[str, Any]:
        principal = self._require_auth(session)
        broker = principal.broker
        if message.get("action", message.get("type")) == "unsubscribe_all":
            done = []
            for topic, sub in list(session.subscriptions.items()):
                self._drop(session, topic)
                done.append({"symbol": sub.instrument.symbol, "exchange": sub.instrument.exchange,
                             "status": "success", "broker": broker})
            return wire.unsubscribe_ack(done, [], broker, message.get("request_id"))
        successful, failed = [], []
        for item in wire.parse_items(message, need_depth=False):
            if not item.symbol or not item.exchange:
                failed.append(wire.item_error(item, broker, "symbol and exchange are required"))
                continue
            topic = topic_for(broker, item.exchange, item.symbol, item.mode).encode()
            if topic in session.subscriptions:
                self._drop(session, topic)
            successful.append({"symbol": item.symbol, "exchange": item.exchange, "status": "success",
                               "broker": broker})
        return wire.unsubscribe_ack(successful, failed, broker, message.get("request_id"))

    async def _on_ping(self, session: ClientSession, message: dict[str, Any]) -> dict[str, Any]:
        return wire.pong(message)

    async def _on_broker_info(self, session: ClientSession, message: dict[str, Any]) -> dict[str, Any]:
        principal = self._require_auth(session)
        return {"type": "broker_info", "status": "success", "broker": principal.broker,
                "adapter_status": session.feed.adapter.state, "user_id": principal.username}

    async def _on_supported_brokers(self, session: ClientSession, message: dict[str, Any]) -> dict[str, Any]:
        return {"type": "supported_brokers", "status": "success", "brokers": list(self.supported_brokers),
                "count": len(self.supported_brokers)}

    async def _on_orders(self, session: ClientSession, message: dict[str, Any]) -> dict[str, Any] | None:
        """subscribe_orders: this connection gets its user's order events from now on, starting with the
        current state of each order of the day (`"snapshot": true`), so a reconnect misses nothing;
        events arriving meanwhile are held and follow the snapshot. unsubscribe_orders stops them."""
        principal = self._require_auth(session)
        action = message.get("action", message.get("type"))
        if action == "unsubscribe_orders":
            self._drop_orders(session)
            return wire.orders_ack(action, principal.broker, "Unsubscribed from order updates")
        if session.orders_topic is not None:
            return wire.orders_ack(action, principal.broker, "Already subscribed to order updates")
        session.orders_topic = topic_for_user(principal.user_id).encode()
        session.order_hold = []
        self.hub.add(session, session.orders_topic)
        await self.order_feeds.acquire(principal)
        try:
            await session.conn.send(wire.dumps(wire.orders_ack(action, principal.broker, "Subscribed to order updates")))
            for payload in await self._snapshot(principal):
                await session.conn.send(payload.decode())
        finally:
            held, session.order_hold = session.order_hold or [], None
            for payload in held:
                self.hub.send_ordered(session, payload)
        return None

    async def _snapshot(self, principal: Principal) -> list[bytes]:
        if self._order_snapshot is None:
            return []
        try:
            return await asyncio.wait_for(self._order_snapshot(principal), SNAPSHOT_TIMEOUT)
        except Exception as exc:   # the live events still flow; only the catch-up is missing
            log.warning("order snapshot for user %s failed: %s", principal.user_id, exc)
            return []

    def _drop_orders(self, session: ClientSession) -> None:
        if session.orders_topic is None:
            return
        self.hub.remove(session, session.orders_topic)
        session.orders_topic, session.order_hold, session.order_backlog = None, None, []
        self.order_feeds.release(session.principal)

    # ------------------------------------------------------------------ stats endpoint
    def _http(self, conn: ServerConnection, request: Request) -> Response | None:
        if request.path.split("?", 1)[0].rstrip("/") != "/stats" or "upgrade" in request.headers:
            return None   # any path serves the feed (§13.1); plain GET /stats serves the counters
        if conn.remote_address[0] not in _LOOPBACK:
            return conn.respond(http.HTTPStatus.FORBIDDEN, "The stats endpoint answers local clients only\n")
        response = conn.respond(http.HTTPStatus.OK, json.dumps(self.snapshot(), indent=1) + "\n")
        del response.headers["Content-Type"]
        response.headers["Content-Type"] = "application/json"
        response.headers["Cache-Control"] = "no-store"
        return response

    def snapshot(self) -> dict[str, Any]:
        """Counts for operators and the dashboard (GET /stats on the proxy's port)."""
        stats = self.stats
        return {
            "status": "ok",
            "pid": os.getpid(),
            "uptime_seconds": round(time.time() - stats.started, 1),
            "clients": {"connected": len(self.sessions),
                        "authenticated": sum(1 for s in self.sessions if s.principal is not None),
                        "behind": sum(1 for s in self.sessions if s.pending is not None)},
            "subscriptions": {"client": self.hub.subscription_count, "topics": len(self.hub.index)},
            "messages": {"in": stats.messages_in, "out": stats.messages_out},
            "drops": {**stats.drops, "bus_overload": self.subscriber.conflated},
            "events": dict(stats.events),
            "bus": {"address": self.subscriber.address, "subscribed_topics": len(self.subscriber.topics),
                    "published_by_adapters": self.publisher.published},
            "upstreams": self.upstream.status(),
            "order_feeds": self.order_feeds.status(),
            "sandbox": self.tap.status() if self.tap is not None else None,
        }
