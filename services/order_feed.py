"""What the WebSocket proxy needs from the app for order updates: a user's current orders as a snapshot,
and the upstream order feed their broker offers (see broker/order_updates.py for the wire form).

Both follow the order target (services/order_target.py): in analyzer mode the paper engine, else the
live broker session; a user with no broker session has no orders to show and no feed to run.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

from flask import current_app
from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from broker.contract import OrderEvent
from broker.errors import AuthError
from broker.order_updates import PollingOrderFeed, encode
from services import order_target
from utils.ratelimit_storage import storage_uri

SNAPSHOT_LIMIT = 500       # the 2.x client keeps the newest 500 order updates
POLL_INTERVAL = 2          # seconds between order-book reads of one user, for brokers that push nothing


def _target(user_id: int) -> order_target.Target | None:
    try:
        return order_target.resolve(user_id)
    except AuthError:   # no broker session, or it expired
        return None


def snapshot(user_id: int) -> list[bytes]:
    """The `order_update` message of each of the day's orders (oldest first, newest SNAPSHOT_LIMIT),
    marked `"snapshot": true`."""
    target = _target(user_id)
    if target is None or not target.plugin.capabilities.supports("order_book"):
        return []
    book = target.plugin.orders.order_book(target.session)
    return [encode(OrderEvent.from_order(order, strategy=_strategy(order)), target.broker, snapshot=True)
            for order in book[-SNAPSHOT_LIMIT:]]


def _strategy(order: Any) -> str:
    raw = order.raw if isinstance(order.raw, dict) else {}
    return str(raw.get("strategy") or raw.get("tag") or "")


def upstream_feed(user_id: int, emit: Callable[[OrderEvent], None]) -> Any:
    """The feed the proxy runs for the user: the plugin's own ("push"), poll-and-diff ("poll"), or None."""
    target = _target(user_id)
    if target is None:
        return None
    plugin = target.plugin
    mode = plugin.capabilities.order_updates
    if mode == "push" and plugin.order_feed is not None:
        return plugin.order_feed(target.session, emit)
    if mode == "poll":
        # tries twice per interval; the claim lets one read through per interval window, whichever
        # process (several proxies) tries first
        return PollingOrderFeed(plugin.orders, target.session, emit, interval=POLL_INTERVAL / 2,
                                claim=poll_claim(user_id))
    return None


def poll_claim(user_id: int) -> Callable[[], bool]:
    """True at most once per POLL_INTERVAL window for the user, across every process sharing the
    rate-limit storage (Redis in production); a storage outage lets the read through (the broker's own
    budget, taken by each read, still bounds it)."""
    limiter = _window_limiter(current_app.extensions["openalgo.settings"].RATELIMIT_STORAGE_URI)
    item = RateLimitItemPerSecond(1, POLL_INTERVAL)

    def claim() -> bool:
        try:
            return limiter.hit(item, "order-poll", str(user_id))
        except Exception:   # noqa: BLE001 — see the docstring
            return True
    return claim


@functools.lru_cache(maxsize=4)
def _window_limiter(uri: str) -> FixedWindowRateLimiter:
    return FixedWindowRateLimiter(storage_from_string(storage_uri(uri)))
