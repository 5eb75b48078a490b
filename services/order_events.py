"""The app side of order-update events: one sink for every order change this process learns about.

Plugins call `PluginConfig.on_order_event(user_id, event)` (the paper engine for every order it places,
changes, fills or ends, analyzer mode included; broker postbacks received by the app); this module sends
the encoded `order_update` message on the ZeroMQ bus to the WebSocket proxy under the user's topic, and
wakes the user's dashboard streams (SSE /events), so both see the same events from the same place.

One PUB socket per process, connected when the app starts (a PUB socket drops what it sends before the
proxy's subscription reaches it, so it must not be created on the first order). ZeroMQ sockets are not
thread-safe: sends from request threads and the paper matcher are serialized by a lock; a send never
blocks (at the high-water mark, with the proxy gone for long, events are dropped; a client that
reconnects gets the current state as a snapshot).
"""
from __future__ import annotations

import threading
from typing import Any, Callable

import zmq

from broker.contract import OrderEvent
from broker.order_updates import encode, topic_for_user
from utils.logging import get_logger

log = get_logger("services.order_events")


class OrderEventSink:
    def __init__(self, endpoint: str | None, on_change: Callable[[int], None] | None = None, hwm: int = 100_000,
                 eager: bool = True):
        """`eager`: connect now (serving processes); otherwise on the first event (test apps, CLI
        commands: most never publish, and each socket holds descriptors and a reconnect timer)."""
        self.endpoint = endpoint
        self.on_change = on_change
        self.published = 0
        self._hwm = hwm
        self._lock = threading.Lock()
        self._socket: Any = None
        if eager:
            with self._lock:
                self._connect()

    def _connect(self) -> Any:
        if self._socket is None and self.endpoint:
            socket = zmq.Context.instance().socket(zmq.PUB)
            socket.setsockopt(zmq.SNDHWM, self._hwm)
            socket.setsockopt(zmq.LINGER, 0)
            socket.connect(self.endpoint)
            self._socket = socket
        return self._socket

    def connect(self) -> None:
        """Connect now rather than on the first event (a PUB socket drops what it sends before the
        proxy's subscription reaches it: a process that is about to publish connects first)."""
        with self._lock:
            self._connect()

    def for_broker(self, broker: str) -> Callable[[int, OrderEvent], None]:
        """The `on_order_event` callback of one plugin (the message names the broker)."""
        return lambda user_id, event: self.publish(broker, user_id, event)

    def publish(self, broker: str, user_id: int, event: OrderEvent) -> None:
        """Never raises: an order is acknowledged whether or not anyone listens to its events."""
        try:
            frames = (topic_for_user(user_id).encode(), encode(event, broker))
            with self._lock:
                socket = self._socket or self._connect()
                if socket is not None:
                    socket.send_multipart(frames, flags=zmq.NOBLOCK)
                    self.published += 1
        except zmq.Again:
            log.warning("order event for user %s dropped: the bus is full", user_id)
        except Exception:
            log.exception("order event for user %s could not be published", user_id)
        if self.on_change is not None:
            self.on_change(user_id)

    def close(self) -> None:
        if self._socket is not None:
            with self._lock:
                self._socket.close(linger=0)
            self._socket = None
