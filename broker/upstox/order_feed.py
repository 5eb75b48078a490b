"""Order updates from the Upstox portfolio stream feed (docs, "Portfolio Stream Feed").

`GET /v2/feed/portfolio-stream-feed/authorize?update_types=order` gives a one-time `wss://` URL; the
socket then pushes one JSON text message per order change (`update_type: "order"`, the order book's
fields), whichever platform placed the order. Each becomes an `OrderEvent` handed to `emit`. The
connection runs on a thread of its own, in the context (contextvars) the feed was built in, so symbol
look-ups in the master contract work as they do where the proxy built it; a dropped link is reopened with back-off (a fresh URL each
time); an expired or revoked token ends the feed instead of retrying.
"""
from __future__ import annotations

import asyncio
import contextvars
import json
import random
import threading
from typing import Any, Callable

from broker.contract import OrderEvent
from broker.errors import AuthError
from broker.upstox.orders import UpstoxOrders
from utils.logging import get_logger

log = get_logger("broker.upstox.order_feed")


def to_event(orders: UpstoxOrders, row: dict[str, Any]) -> OrderEvent:
    order = orders.order(row)
    return OrderEvent(order_id=order.order_id, symbol=order.symbol, exchange=order.exchange, action=order.action,
                      quantity=order.quantity, status=order.status, pricetype=order.pricetype, product=order.product,
                      filled_quantity=order.filled_quantity, pending_quantity=int(row.get("pending_quantity") or 0),
                      average_price=order.average_price, price=order.price, trigger_price=order.trigger_price,
                      rejection_reason=order.rejection_reason, exchange_timestamp=str(row.get("exchange_timestamp") or ""),
                      strategy=str(row.get("tag") or ""), raw=row)


class UpstoxOrderFeed:
    """The contract's OrderFeed for one user: `connect()` once, `close()` at the end."""

    backoff_initial, backoff_max = 0.5, 30.0

    def __init__(self, authorize: Callable[[], str], emit: Callable[[OrderEvent], None], orders: UpstoxOrders):
        self.authorize = authorize
        self.emit = emit
        self.orders = orders
        self.connections = 0
        self.stopped_reason = ""
        self._stop = threading.Event()
        self._context = contextvars.copy_context()     # the builder's context (the app's, in the proxy)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self._thread: threading.Thread | None = None

    def connect(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._context.run, args=(self._main,), name="upstox-order-feed",
                                            daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._loop is not None and self._task is not None and not self._loop.is_closed():
            try:
                self._loop.call_soon_threadsafe(self._task.cancel)
            except RuntimeError:      # the loop ended meanwhile (the feed had stopped by itself)
                pass
        if self._thread is not None:
            self._thread.join(5)

    def _main(self) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self._task = self._loop.create_task(self._run())
            self._loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        finally:
            self._loop.close()

    async def _run(self) -> None:
        from websockets.asyncio.client import connect

        delay = self.backoff_initial
        while not self._stop.is_set():
            try:
                url = await asyncio.to_thread(self.authorize)
                async with connect(url, open_timeout=10, close_timeout=2) as ws:
                    self.connections += 1
                    delay = self.backoff_initial
                    async for message in ws:
                        self._handle(message)
            except AuthError as exc:          # the token is gone: reconnecting cannot help
                self.stopped_reason = exc.message
                log.warning("Upstox order feed stopped: %s", exc.message)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001  (any drop: reconnect with back-off)
                log.info("Upstox order feed dropped (%s); reconnecting in %.1f s", type(exc).__name__, delay)
            if self._stop.is_set():
                return
            await asyncio.sleep(delay * (0.5 + random.random() / 2))
            delay = min(delay * 2, self.backoff_max)

    def _handle(self, message: Any) -> None:
        try:
            row = json.loads(message)
        except (TypeError, ValueError):
            return
        if not isinstance(row, dict) or row.get("update_type", "order") != "order" or not row.get("order_id"):
            return
        try:
            self.emit(to_event(self.orders, row))
        except Exception:  # noqa: BLE001  (one bad message never stops the feed)
            log.exception("Upstox order update could not be handled")
