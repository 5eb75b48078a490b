"""API-key authentication: the one check used by the REST API, the WebSocket proxy and webhooks.

`verify_api_key` costs one HMAC-SHA256 and one indexed primary-key-sized lookup (see
bench/auth_bench.py). Nothing is cached, so a rotated key stops working in every process as soon as
the rotation commits. Needs an app context (settings and the database session).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from database import api_keys
from utils.crypto import keyed_digest

MAX_KEY_LENGTH = 256


@dataclass(frozen=True)
class ApiPrincipal:
    """Who an API request acts for. Every user-owned query must be scoped by `user_id`."""

    user_id: int
    username: str


def key_digest(api_key: str) -> str:
    return keyed_digest(current_app.extensions["openalgo.settings"].API_KEY_PEPPER, api_key)


def verify_api_key(api_key: str) -> ApiPrincipal | None:
    """The principal owning `api_key`, or None when the key is unknown, revoked or malformed."""
    if not isinstance(api_key, str) or not api_key or len(api_key) > MAX_KEY_LENGTH:
        return None
    owner = api_keys.owner_by_digest(key_digest(api_key))
    return ApiPrincipal(user_id=owner[0], username=owner[1]) if owner else None
