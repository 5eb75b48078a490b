"""Rate limits, all in one place: moving windows of the `limits` library, configured from the settings.

- REST API (`/api/v1/*`): API_RATE_LIMIT per API key (per IP for requests without one), applied to the
  whole API blueprint; `enforce_order_limit` adds ORDER_RATE_LIMIT for order endpoints.
- Repeated invalid API keys from one IP: INVALID_APIKEY_RATE_LIMIT (`refuse_invalid_key`), so keys
  cannot be guessed at speed. Only invalid keys are counted and refused: a valid key from that IP is
  always served (a script still sending a rotated key must not lock out the new one).
- Login and password reset: LOGIN_RATE_LIMIT_MIN and LOGIN_RATE_LIMIT_HOUR per IP and per username.
- Webhooks: WEBHOOK_RATE_LIMIT per webhook id (`enforce_webhook_limit`).

Storage is RATELIMIT_STORAGE_URI (memory:// or Redis, shared by every process). Each app gets its own
limiter (tests build many apps). Counters are keyed by digests, never by raw API keys or usernames.
A breach raises `TooManyRequests` carrying `retry_after`; the error handlers answer JSON on /api/* and a
page in the browser.
"""
from __future__ import annotations

import functools
import time

from flask import Blueprint, Flask, current_app, g, request
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter, RateLimiter
from werkzeug.exceptions import TooManyRequests

from utils.crypto import keyed_digest
from utils.logging import get_logger
from utils.ratelimit_storage import SweptMemoryStorage, storage_uri

_EXTENSION = "openalgo.limiter"
_FALLBACK = "openalgo.limiter.fallback"
log = get_logger(__name__)


class RateLimited(TooManyRequests):
    """`reason`, when given, replaces the generic API message: it says which limit was hit and why."""

    def __init__(self, retry_after: int, reason: str | None = None):
        super().__init__(description=reason or f"Too many attempts. Try again in {retry_after} seconds.")
        self.retry_after = retry_after
        self.reason = reason


def client_ip() -> str:
    return request.remote_addr or "unknown"


def _settings():
    return current_app.extensions["openalgo.settings"]


def _digest(value: str) -> str:
    return keyed_digest(_settings().API_KEY_PEPPER, value)[:32]


def request_api_key() -> object:
    """The `apikey` the request carries: JSON body field, query parameter, or X-API-KEY header."""
    body = request.get_json(silent=True) if request.is_json else None
    if isinstance(body, dict) and "apikey" in body:
        return body["apikey"]
    return request.args.get("apikey") or request.headers.get("X-API-KEY")


def api_key_or_ip() -> str:
    """Whose budget a request spends: the API key's (as a digest) when it carries one, else its IP's.
    Worked out once per request (the API and order limits both ask)."""
    if "ratelimit_identity" not in g:
        key = request_api_key()
        g.ratelimit_identity = f"key:{_digest(key)}" if isinstance(key, str) and key else f"ip:{client_ip()}"
    return g.ratelimit_identity


def _hit_all(limit_value: str, scope: str, key: str, *, test_only: bool = False) -> None:
    """Count one hit of `key` against every limit in `limit_value`; raise RateLimited when over."""
    try:
        _check_with(current_app.extensions[_EXTENSION], limit_value, scope, key, test_only)
    except RateLimited:
        raise
    except Exception as exc:  # storage (Redis) unreachable: keep limiting, per process, in memory
        log.error("Rate-limit storage unavailable (%s); using in-process limits", type(exc).__name__)
        _check_with(current_app.extensions[_FALLBACK], limit_value, scope, key, test_only)


@functools.lru_cache(maxsize=64)
def _parsed(limit_value: str) -> tuple:
    """Limit strings come from the settings: parse each once, not on every request."""
    return tuple(parse_many(limit_value))


def _check_with(strategy: RateLimiter, limit_value: str, scope: str, key: str, test_only: bool) -> None:
    prefix = current_app.config["RATELIMIT_KEY_PREFIX"]
    for item in _parsed(limit_value):
        check = strategy.test if test_only else strategy.hit
        if not check(item, prefix, scope, key):
            reset_at, _ = strategy.get_window_stats(item, prefix, scope, key)
            raise RateLimited(max(1, int(reset_at - time.time() + 0.999)))


def enforce_login_limit(username: str) -> None:
    settings = _settings()
    limits = f"{settings.LOGIN_RATE_LIMIT_MIN};{settings.LOGIN_RATE_LIMIT_HOUR}"
    _hit_all(limits, "login-ip", client_ip())
    _hit_all(limits, "login-user", _digest(username.strip().lower()))


def refuse_invalid_key() -> None:
    """Count an invalid API key against the client IP's INVALID_APIKEY_RATE_LIMIT; over the limit, raise
    RateLimited (429) saying so, else return (the caller answers 403). Called only after the key was
    found invalid, so a valid key is never refused for the wrong keys sent before it."""
    limit = _settings().INVALID_APIKEY_RATE_LIMIT
    try:
        _hit_all(limit, "bad-apikey", client_ip())
    except RateLimited as exc:
        raise RateLimited(exc.retry_after, (
            f"Too many requests with an invalid API key from this IP address (limit {limit}); this key is not "
            f"valid. Requests with a valid API key are still served. Try again in {exc.retry_after} seconds.")
                          ) from None


def enforce_order_limit() -> None:
    _hit_all(_settings().ORDER_RATE_LIMIT, "orders", api_key_or_ip())


def enforce_webhook_limit(webhook_id: str) -> None:
    _hit_all(_settings().WEBHOOK_RATE_LIMIT, "webhook", _digest(webhook_id))


def limit_api(app: Flask, blueprint: Blueprint) -> None:
    """API_RATE_LIMIT per API key (per IP without one) on every route of the REST API blueprint: one
    moving-window hit before the route runs, like every other limit here (Flask-Limiter's per-route
    decorator machinery cost more per request than the API key check itself)."""
    @blueprint.before_request
    def enforce_api_limit() -> None:
        _hit_all(_settings().API_RATE_LIMIT, "api", api_key_or_ip())


def init_app(app: Flask) -> None:
    """Create the app's limits (the `limits` library's moving windows over RATELIMIT_STORAGE_URI); call
    before the blueprints that use `limit_api` are registered."""
    settings = app.extensions["openalgo.settings"]
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "openalgo")
    uri = storage_uri(settings.RATELIMIT_STORAGE_URI)
    options = {"socket_connect_timeout": 1, "socket_timeout": 1} if uri.startswith("redis") else {}
    app.extensions[_EXTENSION] = MovingWindowRateLimiter(storage_from_string(uri, **options))
    # When Redis is unreachable, limits keep working per process in memory (logged) instead of
    # failing every API call.
    app.extensions[_FALLBACK] = MovingWindowRateLimiter(SweptMemoryStorage())
