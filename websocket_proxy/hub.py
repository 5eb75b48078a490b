"""Fan-out: the topic → clients index and per-client delivery with a bounded send buffer.

Per tick the work is one dict lookup and one write per subscribed client (the payload is already the
encoded `market_data` frame; nothing is encoded per recipient). A client whose socket buffer is above
`send_buffer` bytes stops getting direct writes: its updates are coalesced (latest payload per topic,
so memory is bounded by its subscription count and a new tick always replaces an old one) and a small
flusher task writes them when the socket drains. A client whose socket does not drain at all for
`slow_timeout` seconds is closed with code 4008; one that reads slowly keeps getting the latest values.
Nothing here ever awaits one client's socket on behalf of the others.

Order-update topics (`orders.<user_id>`) are never coalesced: each event is a change the client must
see, in order. A client behind on them keeps a queue of its own (bounded by `MAX_ORDER_BACKLOG`; past
it, or after `slow_timeout` without draining, it is closed like a slow market-data client), written
before its coalesced ticks when its socket drains.
"""
from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any, Callable

from websockets.asyncio.connection import broadcast
from websockets.asyncio.server import ServerConnection
from websockets.protocol import State

from utils.logging import get_logger
from websocket_proxy.protocol import SLOW_CLIENT_CODE

from websocket_proxy.bus import ORDER_TOPIC_PREFIX
MAX_ORDER_BACKLOG = 10_000   # order events queued for one client that does not read

log = get_logger("websocket_proxy.hub")


class Stats:
    """Counters for the stats endpoint."""

    def __init__(self) -> None:
        self.messages_in = 0
        self.messages_out = 0
        self.drops: Counter[str] = Counter()
        self.events: Counter[str] = Counter()   # connections, auth_ok, auth_failed, slow_disconnects...
        self.started = time.time()


class ClientSession:
    """One WebSocket client: who it is, what it subscribed, and its coalescing backlog."""

    __slots__ = ("conn", "transport", "principal", "feed", "subscriptions", "pending", "behind_since",
                 "flusher", "closing", "auth_timer", "peer", "orders_topic", "order_hold", "order_backlog")

    def __init__(self, conn: ServerConnection):
        self.conn = conn
        self.transport = conn.transport
        self.principal: Any = None
        self.feed: Any = None
        self.subscriptions: dict[bytes, Any] = {}   # topic → Subscription
        self.pending: dict[bytes, bytes] | None = None
        self.behind_since = 0.0
        self.flusher: asyncio.Task | None = None
        self.closing = False
        self.auth_timer: asyncio.TimerHandle | None = None
        self.peer = conn.remote_address
        self.orders_topic: bytes | None = None        # set while subscribed to its user's order events
        self.order_hold: list[bytes] | None = None   # events held while the subscribe snapshot is sent
        self.order_backlog: list[bytes] = []          # events waiting for the socket to drain, in order


class Hub:
    def __init__(self, stats: Stats, send_buffer: int, slow_timeout: float,
                 on_first: Callable[[bytes], None], on_last: Callable[[bytes], None]):
        self.stats = stats
        self.send_buffer = send_buffer
        self.slow_timeout = slow_timeout
        self.index: dict[bytes, set[ClientSession]] = {}
        self._on_first = on_first    # first client of a topic: subscribe on the bus
        self._on_last = on_last      # last client gone: unsubscribe on the bus

    # ------------------------------------------------------------------ index
    def add(self, session: ClientSession, topic: bytes) -> None:
        clients = self.index.get(topic)
        if clients is None:
            clients = self.index[topic] = set()
            self._on_first(topic)
        clients.add(session)

    def remove(self, session: ClientSession, topic: bytes) -> None:
        clients = self.index.get(topic)
        if clients is None:
            return
        clients.discard(session)
        if session.pending:
            session.pending.pop(topic, None)
        if not clients:
            del self.index[topic]
            self._on_last(topic)

    @property
    def subscription_count(self) -> int:
        return sum(len(clients) for clients in self.index.values())

    # ------------------------------------------------------------------ delivery
    def dispatch(self, topic: bytes, payload: bytes) -> None:
        """Deliver one bus message to every client of its topic."""
        self.stats.messages_in += 1
        clients = self.index.get(topic)
        if not clients:
            self.stats.drops["no_subscriber"] += 1
            return
        if topic.startswith(ORDER_TOPIC_PREFIX):
            for session in clients:
                self.send_ordered(session, payload)
            return
        limit = self.send_buffer
        ready = []
        for session in clients:
            if session.pending is None and session.transport.get_write_buffer_size() <= limit:
                ready.append(session.conn)
            elif not session.closing:
                self._coalesce(session, topic, payload)
        if ready:
            broadcast(ready, payload, text=True)
            self.stats.messages_out += len(ready)

    def send_ordered(self, session: ClientSession, payload: bytes) -> None:
        """Deliver one order event to one client: never dropped or reordered while it is connected."""
        if session.closing:
            return
        if session.order_hold is not None:
            session.order_hold.append(payload)
            return
        if session.pending is None and session.transport.get_write_buffer_size() <= self.send_buffer:
            broadcast((session.conn,), payload, text=True)
            self.stats.messages_out += 1
            return
        self._start_backlog(session)
        session.order_backlog.append(payload)
        if len(session.order_backlog) > MAX_ORDER_BACKLOG:
            self.disconnect_slow(session)

    def _start_backlog(self, session: ClientSession) -> None:
        if session.pending is None:
            session.pending = {}
            session.behind_since = time.monotonic()
            session.flusher = asyncio.get_running_loop().create_task(self._flush(session))

    def _coalesce(self, session: ClientSession, topic: bytes, payload: bytes) -> None:
        if session.pending is None:
            self._start_backlog(session)
        elif topic in session.pending:
            self.stats.drops["coalesced"] += 1
        session.pending[topic] = payload

    async def _flush(self, session: ClientSession) -> None:
        """Wait for the client's socket to drain, then write its latest value per topic."""
        conn = session.conn
        try:
            while (session.pending or session.order_backlog) and not session.closing:
                try:
                    async with asyncio.timeout_at(session.behind_since + self.slow_timeout):
                        await conn.drain()   # returns once the buffer fell below its low-water mark
                except TimeoutError:
                    self.disconnect_slow(session)
                    return
                if conn.state is not State.OPEN:
                    return
                session.behind_since = time.monotonic()   # it made progress: the clock restarts
                orders, session.order_backlog = session.order_backlog, []
                batch, session.pending = session.pending, {}
                for payload in (*orders, *batch.values()):
                    broadcast((conn,), payload, text=True)
                self.stats.messages_out += len(orders) + len(batch)
            if not session.closing:
                session.pending = None   # caught up: back to direct writes
        except OSError:
            pass   # the connection was lost; the handler cleans up
        finally:
            session.flusher = None

    def disconnect_slow(self, session: ClientSession) -> None:
        """Close a client that could not keep up; its backlog is dropped and counted."""
        if session.closing:
            return
        session.closing = True
        self.stats.drops["slow_client"] += len(session.pending or ()) + len(session.order_backlog)
        session.order_backlog = []
        self.stats.events["slow_disconnects"] += 1
        session.pending = {}
        log.warning("Closing feed client %s: it read nothing for %.0f s while updates were waiting",
                    session.peer, self.slow_timeout)
        asyncio.get_running_loop().create_task(
            session.conn.close(SLOW_CLIENT_CODE, f"too slow: took no data for {self.slow_timeout:g} s"))
