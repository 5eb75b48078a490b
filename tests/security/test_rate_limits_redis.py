"""Rate limits stored in a real Redis are shared by every process (here: two apps) and hold no secrets."""
from __future__ import annotations

import pytest

from tests.security.conftest import create_user, issue_key, login
from tests.support.redis_server import redis_key_prefix


@pytest.fixture
def redis_limits():
    with redis_key_prefix() as found:
        yield found


def test_api_limit_in_redis_is_shared_by_processes_and_keyed_without_the_key(make_security_app, redis_limits):
    url, prefix, client = redis_limits
    settings = {"RATELIMIT_STORAGE_URI": url, "RATELIMIT_KEY_PREFIX": prefix, "API_RATE_LIMIT": "4 per minute"}
    first = make_security_app(**settings)
    second = make_security_app(**settings)  # same database, as a second worker process would be
    key = issue_key(first, create_user(first))
    statuses = [app.test_client().post("/api/v1/ping", json={"apikey": key}).status_code
                for app in (first, second, first, second, second)]
    assert statuses == [200, 200, 200, 200, 429]
    stored = [k.decode() for k in client.scan_iter(match=f"*{prefix}*")]
    assert stored and not any(key in name for name in stored)


def test_login_limit_in_redis(make_security_app, redis_limits):
    url, prefix, client = redis_limits
    app = make_security_app(RATELIMIT_STORAGE_URI=url, RATELIMIT_KEY_PREFIX=prefix)
    create_user(app)
    browser = app.test_client()
    assert [login(browser, "admin", f"bad-pass-{n}").status_code for n in range(6)] == [401] * 5 + [429]
    assert not any(b"admin" in name for name in client.scan_iter(match=f"*{prefix}*"))
