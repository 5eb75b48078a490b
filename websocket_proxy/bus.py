"""The ZeroMQ tick bus as the proxy sees it.

Topology. Adapters always *connect* a PUB socket to ZMQ_HOST:ZMQ_PORT. By default the proxy *binds* its
SUB socket there, so any number of adapters (in the proxy, in other processes) publish to one proxy, and
a second proxy on the same port fails at once with a clear error. To run several proxies, start the
forwarder (`python -m websocket_proxy.forwarder`): it binds XSUB on ZMQ_PORT for the adapters and XPUB
on ZMQ_FORWARDER_PORT, and each proxy (ZMQ_FORWARDER_PORT set) connects its SUB there. Either way the
SUB socket subscribes only to topics some client wants; ZeroMQ forwards those subscriptions upstream,
so publishers filter at the source.
"""
from __future__ import annotations

import asyncio
from typing import Callable

import zmq

from broker import order_updates
from utils.logging import get_logger

log = get_logger("websocket_proxy.bus")

ORDER_TOPIC_PREFIX = order_updates.ORDER_TOPIC_PREFIX.encode()   # per-user order events, never conflated
_BATCH = 128   # messages handled per turn before other tasks (client messages, pings) get the loop
_OVERLOAD_READ = 50_000
MAX_LAG = 1.0   # seconds the bus queue may stay non-empty before old ticks are skipped


def endpoint(host: str, port: int) -> str:
    return f"tcp://{host}:{port}"


class BusError(RuntimeError):
    """The bus endpoint cannot be used (e.g. the port is taken by another proxy)."""


class TickSubscriber:
    """A SUB socket read from the event loop through its file descriptor (no thread, no per-message
    future): on readiness it drains up to `_BATCH` messages and hands each to `dispatch`."""

    def __init__(self, address: str, *, bind: bool, dispatch: Callable[[bytes, bytes], None],
                 context: zmq.Context | None = None, hwm: int = 20_000):
        self._socket = (context or zmq.Context.instance()).socket(zmq.SUB)
        self._socket.setsockopt(zmq.RCVHWM, hwm)
        self._socket.setsockopt(zmq.LINGER, 0)
        try:
            self._socket.bind(address) if bind else self._socket.connect(address)
        except zmq.ZMQError as exc:
            self._socket.close(linger=0)
            raise BusError(f"cannot {'bind' if bind else 'connect'} the ZeroMQ tick bus at {address}: "
                           f"{exc.strerror} (is another proxy running? set ZMQ_PORT, or use the forwarder)") from None
        self.address = address
        self._dispatch = dispatch
        self._loop: asyncio.AbstractEventLoop | None = None
        self.topics: set[bytes] = set()
        self.conflated = 0    # old ticks skipped while overloaded (see _skip_backlog)
        self._behind_since: float | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self._socket.getsockopt(zmq.FD), self._drain)
        self._loop.call_soon(self._drain)

    def want_prefix(self, prefix: bytes) -> None:
        """Every message whose topic starts with `prefix`, for as long as the socket lives (not counted
        in `topics`, which are the ones clients asked for)."""
        self._socket.setsockopt(zmq.SUBSCRIBE, prefix)
        self._kick()

    def unwant_prefix(self, prefix: bytes) -> None:
        """Undo one `want_prefix(prefix)` (ZeroMQ counts subscriptions: others to it stay)."""
        self._socket.setsockopt(zmq.UNSUBSCRIBE, prefix)
        self._kick()

    def want(self, topic: bytes) -> None:
        self.topics.add(topic)
        self._socket.setsockopt(zmq.SUBSCRIBE, topic)
        self._kick()

    def unwant(self, topic: bytes) -> None:
        self.topics.discard(topic)
        self._socket.setsockopt(zmq.UNSUBSCRIBE, topic)
        self._kick()

    def _kick(self) -> None:
        # The ZeroMQ descriptor is edge-triggered: any socket call may consume the edge, so look again.
        if self._loop is not None:
            self._loop.call_soon(self._drain)

    def _read(self, limit: int) -> list[list[bytes]]:
        frames = []
        recv = self._socket.recv_multipart
        for _ in range(limit):
            try:
                frames.append(recv(zmq.NOBLOCK))
            except zmq.Again:
                break
        return frames

    def _drain(self) -> None:
        if self._socket.closed:
            return
        batch = self._read(_BATCH)
        if len(batch) < _BATCH:
            self._behind_since = None   # the queue is empty: we keep up
        else:
            now = self._loop.time()
            if self._behind_since is None:
                self._behind_since = now
            elif now - self._behind_since > MAX_LAG:
                batch = self._skip_backlog(batch)
                self._behind_since = now
            self._loop.call_soon(self._drain)   # more is waiting; let other work run first
        dispatch = self._dispatch
        for frames in batch:
            try:
                dispatch(frames[0], frames[-1])
            except Exception:
                log.exception("Dropped a bus message that could not be delivered")

    def _skip_backlog(self, batch: list[list[bytes]]) -> list[list[bytes]]:
        """The queue has not been empty for MAX_LAG seconds: we are overloaded and what is queued is
        getting old. Keep the newest batch in order, plus the newest tick of every other queued topic,
        and skip the rest — old ticks make way for new ones, never the reverse. Order events are never
        skipped (each is a change its client must see), and keep their order."""
        queued = batch + self._read(_OVERLOAD_READ)
        tail = queued[-_BATCH:]
        recent = {frames[0] for frames in tail}
        latest: dict[bytes, list[bytes]] = {}
        orders: list[list[bytes]] = []
        for frames in queued[:-_BATCH]:
            if frames[0].startswith(ORDER_TOPIC_PREFIX):
                orders.append(frames)
            elif frames[0] not in recent:
                latest[frames[0]] = frames
        self.conflated += len(queued) - len(tail) - len(latest) - len(orders)
        return [*orders, *latest.values(), *tail]

    def close(self) -> None:
        if self._loop is not None and not self._socket.closed:
            self._loop.remove_reader(self._socket.getsockopt(zmq.FD))
        self._socket.close(linger=0)
