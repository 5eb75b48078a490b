"""What the current request has already read, so later steps of the same request do not read it again.

API-key authentication reads the caller's analyzer flag and broker-session columns in the same query as
the key (one round trip instead of three on every order); `user_settings.get` and
`broker_session.live_session` take them from here. The memo lives in the request's WSGI environ, so it
ends with the request (never shared between requests, threads or processes); the services that change
a memoized value forget it. Outside a request nothing is memoized.
"""
from __future__ import annotations

from typing import Any, Hashable

from flask import has_request_context, request

MISSING = object()
_ENVIRON_KEY = "openalgo.request_memo"


def remember(key: Hashable, value: Any) -> None:
    if has_request_context():
        request.environ.setdefault(_ENVIRON_KEY, {})[key] = value


def recall(key: Hashable) -> Any:
    """The remembered value, or MISSING."""
    if not has_request_context():
        return MISSING
    return request.environ.get(_ENVIRON_KEY, {}).get(key, MISSING)


def forget(key: Hashable) -> None:
    if has_request_context():
        request.environ.get(_ENVIRON_KEY, {}).pop(key, None)
