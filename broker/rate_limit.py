"""Per-broker outgoing rate limiter: separate budgets for orders, quotes and history.

Brokers answer 429 (and some suspend the API key) when a client goes over their documented limits, so
every outgoing call takes a slot first and *waits* for one when the budget is spent, instead of
failing. Budgets are moving windows from the `limits` library (the one Flask-Limiter uses); with
RATELIMIT_STORAGE_URI pointing at Redis every process of the installation shares them, with memory://
they are per process.
"""
from __future__ import annotations

import time
from typing import Callable, Mapping

from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from broker.contract.manifest import DEFAULT_RATE_LIMITS, RATE_LIMIT_BUCKETS
from broker.errors import RateLimited
from utils.ratelimit_storage import storage_uri

DEFAULT_MAX_WAIT_SECONDS = 30.0
_POLL_FLOOR_SECONDS = 0.005


def slot_seconds(limit: str) -> float:
    """Seconds between two slots of a budget in the `limits` syntax ("1/second" → 1.0, "10/second" → 0.1,
    "200/minute" → 0.3): how long a caller may wait for the next call once the budget is spent."""
    item = parse(limit)
    return item.get_expiry() / item.amount


class RateLimiter:
    """`acquire(bucket)` blocks until the broker's budget for that bucket has room."""

    def __init__(self, broker: str, budgets: Mapping[str, str] | None = None, *,
                 storage: Storage | str = "memory://", max_wait: float = DEFAULT_MAX_WAIT_SECONDS,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep):
        self.broker = broker
        self.budgets: dict[str, RateLimitItem] = {}
        self.set_budgets(budgets or {})
        self._storage = storage_from_string(storage_uri(storage)) if isinstance(storage, str) else storage
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._max_wait = max_wait
        self._clock, self._sleep = clock, sleep

    def set_budgets(self, budgets: Mapping[str, str]) -> None:
        """Budgets per bucket in the `limits` syntax ("10/second"); missing buckets keep the defaults."""
        merged = {**DEFAULT_RATE_LIMITS, **budgets}
        unknown = sorted(set(merged) - set(RATE_LIMIT_BUCKETS))
        if unknown:
            raise ValueError(f"unknown rate-limit bucket(s) {', '.join(unknown)}; "
                             f"allowed: {', '.join(RATE_LIMIT_BUCKETS)}")
        self.budgets = {name: parse(text) for name, text in merged.items()}

    def acquire(self, bucket: str, account: str = "") -> float:
        """Take one slot in `bucket` (per broker account when `account` is given); returns seconds
        waited. Raises RateLimited only when the wait would exceed `max_wait`."""
        item = self.budgets[bucket]
        return self._take(item, ("broker", self.broker, account or "-", bucket), f"{bucket} budget ({item})")

    def acquire_limit(self, family: str, limit: str, account: str = "") -> float:
        """Take one slot of an endpoint family the broker documents a budget of its own for, stricter
        than its bucket's (e.g. an order book allowed once a second where other reads get ten); call it
        besides `acquire(bucket)`. `limit` is in the `limits` syntax ("1/second")."""
        item = parse(limit)
        return self._take(item, ("broker", self.broker, account or "-", "family", family), f"{family} limit ({item})")

    def _take(self, item: RateLimitItem, identity: tuple[str, ...], label: str) -> float:
        started = self._clock()
        while not self._limiter.hit(item, *identity):
            reset_at = self._limiter.get_window_stats(item, *identity).reset_time
            delay = max(reset_at - self._clock(), _POLL_FLOOR_SECONDS)
            waited = self._clock() - started
            if waited + delay > self._max_wait:
                raise RateLimited(f"{self.broker} {label} exhausted for over {self._max_wait:.0f}s",
                                  broker=self.broker, retry_after=delay)
            self._sleep(delay)
        return self._clock() - started
