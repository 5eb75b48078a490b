"""The in-memory rate-limit storage: limits hold, no thread per request or per storage, expired entries
are swept."""
from __future__ import annotations

import threading
import time

from limits import parse
from limits.strategies import MovingWindowRateLimiter

from utils.ratelimit_storage import SweptMemoryStorage, storage_uri


def test_memory_uri_is_served_by_the_swept_storage_and_redis_is_left_alone():
    assert storage_uri("memory://") == "openalgo-memory://"
    assert storage_uri("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_limits_hold_without_starting_a_thread_per_hit(monkeypatch):
    monkeypatch.setattr(SweptMemoryStorage, "SWEEP_SECONDS", 0.05)
    storage = SweptMemoryStorage()
    limiter, limit = MovingWindowRateLimiter(storage), parse("50 per second")
    time.sleep(0.05)   # the base class's one start-up timer has finished
    threads_before = threading.active_count()
    allowed = 0
    for _ in range(200):
        allowed += limiter.hit(limit, "test", "key")
        time.sleep(0.0002)
    assert allowed == 50
    assert threading.active_count() <= threads_before
    key = "LIMITER/test/key/50/1/second"
    assert len(storage.events[key]) == 50
    time.sleep(1.2)   # the window has passed: the sweeper drops the expired entries
    assert not storage.events.get(key)
    assert limiter.hit(limit, "test", "key")


def test_all_storages_share_one_sweeper_thread():
    storages = [SweptMemoryStorage() for _ in range(20)]   # e.g. one per app a test suite builds
    sweepers = [t for t in threading.enumerate() if t.name == "ratelimit-sweeper"]
    assert len(sweepers) == 1 and len(storages) == 20
