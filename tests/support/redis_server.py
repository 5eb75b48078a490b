"""The Redis server of the test run (TEST_REDIS_URL; test.sh starts one when none runs)."""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from typing import Iterator

import pytest
import redis

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


@contextmanager
def redis_key_prefix() -> Iterator[tuple[str, str, redis.Redis]]:
    """(url, a key prefix unique to this test, client); every key under the prefix is removed after."""
    url = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS_URL)
    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis not reachable at {url}: {exc} (CI must run Redis tests)")
        pytest.skip(f"Redis not reachable at {url}: {exc} (run ./test.sh, which starts one)")
    prefix = f"oa-test-{uuid.uuid4().hex[:12]}"
    try:
        yield url, prefix, client
    finally:
        keys = list(client.scan_iter(match=f"*{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()
