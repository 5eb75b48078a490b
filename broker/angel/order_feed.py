"""Angel One's order-status WebSocket → OrderEvents, for the proxy's `subscribe_orders`.

wss://tns.angelone.in/smart-order-update (docs, "WebSocket Order Status"): the handshake carries
`Authorization: Bearer <jwt>`; the server first sends an "AB00" message (connected, empty `orderData`), then
one JSON message per order change: `{"user-id", "status-code", "order-status": "AB01".."AB10",
"error-message", "orderData": <an order-book row>}`. The client keeps the link with the text "ping" every
10 seconds (answered "pong"). The feed runs on a thread of its own (the proxy calls `connect()` from a worker
and `emit` may be called from any thread); a dropped link is reopened with back-off, a refused token ends
the feed (the session is over: no retry loop).
"""
from __future__ import annotations

import contextvars
import json
import random
import threading
from typing import Any, Callable

from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from broker.angel.orders import AngelOrders
from broker.contract import BrokerSession, OrderEvent
from utils.logging import get_logger

log = get_logger("broker.angel.order_feed")

ORDER_WS_URL = "wss://tns.angelone.in/smart-order-update"
HEARTBEAT_SECONDS = 10.0
_BACKOFF_INITIAL, _BACKOFF_MAX = 0.5, 30.0


def order_event(message: dict[str, Any], orders: AngelOrders) -> OrderEvent | None:
    """One order-status message → the unified event; None for the connect notice and empty messages."""
    row = message.get("orderData")
    if not isinstance(row, dict) or not row.get("orderid"):
        return None
    order = orders.order(row)
    return OrderEvent.from_order(order, strategy=str(row.get("ordertag") or ""))


class AngelOrderFeed:
    """`connect()` starts the reader thread and returns; `close()` stops it."""

    def __init__(self, session: BrokerSession, emit: Callable[[OrderEvent], None], orders: AngelOrders,
                 url: str = ORDER_WS_URL, heartbeat: float = HEARTBEAT_SECONDS):
        self._jwt = session.auth_token
        self._emit = emit
        self._orders = orders
        self.url = url
        self.heartbeat = heartbeat
        self._stop = threading.Event()
        self._conn: ClientConnection | None = None
        self._thread: threading.Thread | None = None
        # the reader thread runs in the context the feed was built in: the proxy builds it inside the
        # app's context, which the master-contract lookups behind the order rows' symbols need
        self._context = contextvars.copy_context()
        self.state = "idle"
        self.connects = 0

    def __repr__(self) -> str:       # never show the token
        return f"AngelOrderFeed(url={self.url!r}, state={self.state!r})"

    def connect(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._context.run, args=(self._run,), name="angel-order-feed",
                                            daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._stop.set()
        conn = self._conn
        if conn is not None:
            conn.close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5)
        self.state = "closed"

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            self.state = "connecting" if attempt == 0 else "reconnecting"
            try:
                with connect(self.url, additional_headers={"Authorization": f"Bearer {self._jwt}"},
                             open_timeout=10, close_timeout=2) as conn:
                    self._conn = conn
                    self.state, attempt = "connected", 0
                    self.connects += 1
                    self._serve(conn)
            except InvalidStatus as exc:
                if exc.response.status_code in (401, 403):
                    log.warning("Angel One refused the order-status feed (HTTP %s): session over, feed stopped",
                                exc.response.status_code)
                    self.state = "refused"
                    return
                log.warning("Angel One order-status feed answered HTTP %s", exc.response.status_code)
            except Exception as exc:   # dropped link, timeout, DNS: reopen with back-off
                if self._stop.is_set():
                    break
                log.warning("Angel One order-status feed lost (%s); reconnecting", exc or type(exc).__name__)
            finally:
                self._conn = None
            attempt += 1
            delay = min(_BACKOFF_MAX, _BACKOFF_INITIAL * 2 ** (attempt - 1)) * random.uniform(0.8, 1.2)
            self._stop.wait(delay)

    def _serve(self, conn: ClientConnection) -> None:
        while not self._stop.is_set():
            try:
                text = conn.recv(timeout=self.heartbeat)
            except TimeoutError:
                conn.send("ping")
                continue
            if not isinstance(text, str) or text == "pong":
                continue
            try:
                message = json.loads(text)
            except ValueError:
                continue
            if not isinstance(message, dict):
                continue
            try:
                event = order_event(message, self._orders)
            except Exception:   # one unreadable message must not drop the link (Angel does not replay)
                log.exception("Angel One order update could not be read; skipped")
                continue
            if event is not None:
                self._emit(event)
