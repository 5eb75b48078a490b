"""The outgoing rate limiter waits for a slot instead of failing, per bucket, across threads."""
from __future__ import annotations

import threading
import time

import pytest

from broker.errors import RateLimited
from broker.rate_limit import RateLimiter


def test_calls_over_budget_wait_for_the_window():
    limiter = RateLimiter("demo", {"orders": "4/second"})
    started = time.monotonic()
    waits = [limiter.acquire("orders") for _ in range(6)]
    assert waits[:4] == pytest.approx([0, 0, 0, 0], abs=0.05)
    assert time.monotonic() - started >= 0.9          # the 5th and 6th waited for the window to move


def test_buckets_are_separate():
    limiter = RateLimiter("demo", {"history": "1/minute"})
    limiter.acquire("history")
    started = time.monotonic()
    for _ in range(5):
        limiter.acquire("quotes")
        limiter.acquire("orders")
    assert time.monotonic() - started < 0.5


def test_threads_together_never_exceed_the_budget():
    limiter = RateLimiter("demo", {"quotes": "10/second"})
    stamps: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(4):
            limiter.acquire("quotes")
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stamps.sort()
    assert len(stamps) == 16
    # any 11 consecutive calls span at least (almost) one second
    assert all(stamps[i + 10] - stamps[i] >= 0.95 for i in range(len(stamps) - 10))


def test_a_wait_longer_than_the_limit_raises_rate_limited():
    limiter = RateLimiter("demo", {"orders": "1/minute"}, max_wait=0.2)
    limiter.acquire("orders")
    with pytest.raises(RateLimited, match="orders budget") as raised:
        limiter.acquire("orders")
    assert raised.value.retry_after > 0


def test_an_endpoint_family_limit_is_its_own_window_besides_the_buckets():
    limiter = RateLimiter("demo", {"quotes": "100/second"}, max_wait=0.2)
    limiter.acquire_limit("getOrderBook", "1/minute", account="A")
    assert limiter.acquire("quotes", account="A") == pytest.approx(0, abs=0.05)
    assert limiter.acquire_limit("getTradeBook", "1/minute", account="A") == pytest.approx(0, abs=0.05)
    assert limiter.acquire_limit("getOrderBook", "1/minute", account="B") == pytest.approx(0, abs=0.05)
    with pytest.raises(RateLimited, match="getOrderBook limit"):
        limiter.acquire_limit("getOrderBook", "1/minute", account="A")


def test_accounts_have_their_own_budget_and_unknown_buckets_are_refused():
    limiter = RateLimiter("demo", {"orders": "1/minute"}, max_wait=0.1)
    limiter.acquire("orders", account="A")
    assert limiter.acquire("orders", account="B") == pytest.approx(0, abs=0.05)
    with pytest.raises(ValueError, match="unknown rate-limit bucket"):
        RateLimiter("demo", {"trades": "1/second"})


def test_processes_sharing_redis_share_the_budget():
    import os
    import uuid

    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis not reachable at {url}: {exc}")
        pytest.skip(f"Redis not reachable at {url}: {exc}")
    broker = f"demo-{uuid.uuid4().hex[:8]}"
    # two limiters with their own storage objects stand for two worker processes
    first = RateLimiter(broker, {"orders": "2/minute"}, storage=url, max_wait=0.2)
    second = RateLimiter(broker, {"orders": "2/minute"}, storage=url, max_wait=0.2)
    first.acquire("orders")
    second.acquire("orders")
    with pytest.raises(RateLimited):
        first.acquire("orders")
