"""API-key authentication: the one check used by the REST API, the WebSocket proxy and webhooks.

`verify_api_key` costs one HMAC-SHA256 and one indexed lookup (see bench/auth_bench.py), which also
reads the caller's analyzer flag and broker-session columns for the rest of the request
(services/request_memo.py). Nothing is cached across requests, so a rotated key stops working in every
process as soon as the rotation commits. Needs an app context (settings and the database session).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from database.callers import caller_by_digest
from services import request_memo
from services.user_settings import ANALYZER_SETTING
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
    caller = caller_by_digest(key_digest(api_key), ANALYZER_SETTING)
    if caller is None:
        return None
    request_memo.remember(("setting", caller.user_id, ANALYZER_SETTING), caller.setting_value)
    request_memo.remember(("broker_session", caller.user_id), caller if caller.session_id is not None else None)
    return ApiPrincipal(user_id=caller.user_id, username=caller.username)
