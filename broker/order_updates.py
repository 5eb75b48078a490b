"""Order-update events on the wire: the `order_update` message, its bus topic, and poll-and-diff.

An `OrderEvent` (broker/contract/models.py) becomes exactly one `order_update` message, the shape the
2.x `openalgo` client reads (API_CONTRACT.md §16): encoded once here, so the WebSocket proxy forwards
bytes and never re-encodes per recipient. Events travel on the ZeroMQ bus under the per-user topic
`orders.<user_id>`; the proxy hands a topic only to connections authenticated as that user.

`PollingOrderFeed` is the order feed of brokers that push nothing (capability `order_updates ==
"poll"`): it reads the order book every few seconds and emits an event for every order that is new or
changed since the previous read. Each read first claims the user's poll slot (`claim`, a window shared
by every process through the rate-limit storage), so however many proxies run a poller for one user,
the broker sees one order-book read per interval; the feed is `shared`: its events go on the bus, so
the subscribers of every proxy get them from whichever poller read the book.
"""
from __future__ import annotations

import json
import threading
import time
from typing import Any, Callable

from broker.contract import BrokerSession, Order, OrderAdapter, OrderEvent
from utils.logging import get_logger

log = get_logger("broker.order_updates")

ORDER_TOPIC_PREFIX = "orders."
MESSAGE_TYPE = "order_update"


def topic_for_user(user_id: int) -> str:
    """The bus topic of one user's order events, e.g. `orders.42`."""
    return f"{ORDER_TOPIC_PREFIX}{int(user_id)}"


def _number(value: Any) -> Any:
    number = float(value or 0)
    return int(number) if number.is_integer() else number


def message(event: OrderEvent, broker: str, *, snapshot: bool = False) -> dict[str, Any]:
    """The `order_update` message for `event` (the client's documented keys first, then ours)."""
    body = {
        "type": MESSAGE_TYPE, "orderid": event.order_id, "symbol": event.symbol, "exchange": event.exchange,
        "action": event.action, "quantity": _number(event.quantity), "pricetype": event.pricetype,
        "product": event.product, "order_status": event.status, "filled_quantity": _number(event.filled_quantity),
        "pending_quantity": _number(event.pending_quantity), "average_price": float(event.average_price or 0),
        "rejection_reason": event.rejection_reason or "", "broker": broker,
        "price": float(event.price or 0), "trigger_price": float(event.trigger_price or 0),
        "strategy": event.strategy or "", "exchange_timestamp": event.exchange_timestamp or "",
        "timestamp": int(time.time() * 1000),
    }
    if snapshot:
        body["snapshot"] = True   # current state sent on subscribe, not a change that just happened
    return body


def encode(event: OrderEvent, broker: str, *, snapshot: bool = False) -> bytes:
    return json.dumps(message(event, broker, snapshot=snapshot), separators=(",", ":")).encode()


def _state(order: Order) -> tuple:
    return (order.status, order.quantity, order.filled_quantity, order.average_price, order.price,
            order.trigger_price, order.pricetype, order.rejection_reason)


class PollingOrderFeed:
    """Poll-and-diff over `orders.order_book` for one user (an OrderFeed, run like a pushed one).

    The first read is the baseline (subscribers get the current state as a snapshot when they
    subscribe); afterwards each new or changed order is emitted once, in order-book order. A failed
    read is logged and retried at the next interval; the feed never raises into its caller. A round
    whose `claim()` is refused (another process read the book this interval) is skipped; the next read
    then reports what changed since this feed's own last one (an event may repeat, never go missing)."""

    shared = True   # its events go on the bus to every proxy (see the module docstring)

    def __init__(self, orders: OrderAdapter, session: BrokerSession, emit: Callable[[OrderEvent], None],
                 interval: float = 2.0, claim: Callable[[], bool] | None = None):
        self.orders = orders
        self.session = session
        self.emit = emit
        self.interval = interval
        self.claim = claim
        self._seen: dict[str, tuple] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def connect(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"order-poll-{self.session.user_id}", daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._stop.set()

    def poll_once(self) -> int:
        """Read the book once and emit what changed; the number of events emitted."""
        book = self.orders.order_book(self.session)
        current = {order.order_id: _state(order) for order in book}
        emitted = 0
        if self._seen is not None:
            for order in book:
                if self._seen.get(order.order_id) != current[order.order_id]:
                    self.emit(OrderEvent.from_order(order))
                    emitted += 1
        self._seen = current
        return emitted

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.claim is None or self.claim():
                    self.poll_once()
            except Exception as exc:  # a broker hiccup must not end the user's feed
                log.warning("order-book poll for user %s failed: %s", self.session.user_id, exc)
            self._stop.wait(self.interval)
