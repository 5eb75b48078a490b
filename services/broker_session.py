"""Users' broker sessions: connect, look up the live one, expire, disconnect.

This is the ONE place services get "the user's broker plugin and its live session" from
(`live_session(user_id)`); it raises `NoBrokerSession` or `BrokerSessionExpired` (both 403 with a
message that says what to do) instead of letting a call reach the broker without a token. Tokens are
stored encrypted with utils.crypto.secret_box(API_KEY_PEPPER) and decrypted only here, so a restart
keeps a still-valid session. Logout calls `disconnect(user_id)`.
"""
from __future__ import annotations

import functools
import json
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterator, Mapping

from flask import current_app
from sqlalchemy import select

from broker.contract import AuthResult, BrokerPlugin, BrokerSession
from broker.errors import AuthError, BrokerError, TokenExpired
from database import db
from database.broker_sessions import (STATE_CONNECTED, STATE_DISCONNECTED, STATE_EXPIRED, BrokerConnection,
                                      for_user, live_columns)
from services import request_memo
from services.brokers import registry
from utils import clock
from utils.crypto import secret_box
from utils.logging import get_logger

log = get_logger("services.broker_session")


class NoBrokerSession(AuthError):
    def __init__(self, message: str = "No broker is connected. Connect your broker (dashboard, or "
                                      "`flask --app app broker connect`) and try again."):
        super().__init__(message)


class BrokerSessionExpired(TokenExpired):
    pass


@dataclass(frozen=True)
class LiveBroker:
    """What services call: the plugin and the session to pass to its adapters."""
    plugin: BrokerPlugin
    session: BrokerSession

    @property
    def name(self) -> str:
        return self.plugin.name


def _box():  # noqa: ANN202
    return secret_box(current_app.extensions["openalgo.settings"].API_KEY_PEPPER)


def _now() -> datetime:
    return clock.now()


def _utc(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=timezone.utc) if moment is not None and moment.tzinfo is None else moment


def _encrypt(value: str) -> str:
    return _box().encrypt(value) if value else ""


def _decrypt(value: str) -> str:
    return _decrypted(current_app.extensions["openalgo.settings"].API_KEY_PEPPER, value) if value else ""


@functools.lru_cache(maxsize=1024)
def _decrypted(pepper: str, ciphertext: str) -> str:
    """Every order reads the session's tokens: decrypt each stored ciphertext once per process (a new
    token is a new ciphertext, so nothing stale is ever returned)."""
    return secret_box(pepper).decrypt(ciphertext)


# --------------------------------------------------------------------------------------- connect
def connect(user_id: int, broker: str, credentials: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Log in to `broker` for the user (auth type none, form or totp; OAuth callbacks pass their
    parameters) and store the session. Raises UnknownBroker or the plugin's AuthError."""
    plugin = registry().get_connectable(broker)
    result = plugin.auth.authenticate(dict(credentials or {}))
    return store(user_id, broker, result)


def store(user_id: int, broker: str, result: AuthResult) -> dict[str, Any]:
    """Save a successful login as the user's broker session, replacing any previous one."""
    row = for_user(user_id) or BrokerConnection(user_id=user_id)
    row.broker = broker
    row.state = STATE_CONNECTED
    row.auth_token_enc = _encrypt(result.auth_token)
    row.feed_token_enc = _encrypt(result.feed_token)
    row.extra_enc = _encrypt(json.dumps(dict(result.extra))) if result.extra else ""
    row.broker_user_id = result.broker_user_id
    row.connected_at = _now()
    row.expires_at = result.expires_at
    row.ended_at = None
    row.end_reason = ""
    db.session.add(row)
    db.session.commit()
    request_memo.forget(("broker_session", user_id))
    log.info("user %s connected broker %s (until %s)", user_id, broker, result.expires_at or "disconnected")
    return describe(row)


# ------------------------------------------------------------------------------------ live session
def live_session(user_id: int) -> LiveBroker:
    """The user's broker plugin and live session, or NoBrokerSession / BrokerSessionExpired."""
    row = request_memo.recall(("broker_session", user_id))
    if row is request_memo.MISSING:
        row = live_columns(user_id)
    if row is None or row.state == STATE_DISCONNECTED:
        raise NoBrokerSession()
    brokers = registry()
    plugin = brokers.get(row.broker)
    name = plugin.manifest.display_name
    if not brokers.entries[row.broker].allowed:   # taken out of VALID_BROKERS since the user connected
        raise NoBrokerSession(f"{name} is not enabled on this server (VALID_BROKERS). Connect another broker "
                              "or ask the administrator to enable it.")
    if row.state == STATE_EXPIRED or _expired(row):
        raise BrokerSessionExpired(f"Your {name} session has expired. Reconnect {name} and try again.",
                                   broker=row.broker)
    extra = json.loads(_decrypt(row.extra_enc)) if row.extra_enc else {}
    session = BrokerSession(user_id=user_id, broker=row.broker, auth_token=_decrypt(row.auth_token_enc),
                            feed_token=_decrypt(row.feed_token_enc), broker_user_id=row.broker_user_id,
                            expires_at=_utc(row.expires_at), extra=extra)
    return LiveBroker(plugin, session)


def _expired(row: Any, now: datetime | None = None) -> bool:
    expires = _utc(row.expires_at)
    return expires is not None and expires <= (now or _now())


def mark_expired(user_id: int, reason: str = "the broker rejected the token") -> None:
    """Call when a plugin raised TokenExpired: the dashboard then offers the reconnect path."""
    row = for_user(user_id)
    if row is not None and row.state == STATE_CONNECTED:
        row.state, row.ended_at, row.end_reason = STATE_EXPIRED, _now(), reason[:255]
        db.session.commit()
        request_memo.forget(("broker_session", user_id))
        log.info("broker session of user %s expired: %s", user_id, reason)


def expired_message(reason: str) -> str:
    """What the API answers (403) when the broker rejected the user's token."""
    return f"Broker session expired: {reason} Reconnect your broker and try again."


@contextmanager
def expire_on_token_error(user_id: int) -> Iterator[None]:
    """Around a call to the user's broker: a token the broker rejects (TokenExpired) marks the session
    expired, so the next request is refused here without a broker call, and leaves as BrokerSessionExpired
    with `expired_message`. Nothing is retried."""
    try:
        yield
    except BrokerSessionExpired:
        raise
    except TokenExpired as exc:
        mark_expired(user_id, exc.message)
        raise BrokerSessionExpired(expired_message(exc.message), broker=exc.broker, raw=exc.raw) from None


def disconnect(user_id: int, reason: str = "disconnected by the user") -> bool:
    """End the user's broker session (logout calls this): revoke at the broker where possible, wipe
    the tokens. Returns False when there was no session to end."""
    row = for_user(user_id)
    if row is None or row.state == STATE_DISCONNECTED:
        return False
    try:
        live = live_session(user_id)
        live.plugin.auth.logout(live.session)
    except (BrokerError, LookupError) as exc:  # revoking is best effort; the local session ends anyway
        log.info("broker logout for user %s skipped: %s", user_id, exc)
    row.state, row.ended_at, row.end_reason = STATE_DISCONNECTED, _now(), reason[:255]
    row.auth_token_enc = row.feed_token_enc = row.extra_enc = ""
    db.session.commit()
    request_memo.forget(("broker_session", user_id))
    log.info("user %s disconnected broker %s", user_id, row.broker)
    return True


# ------------------------------------------------------------------------------------------ state
def describe(row: BrokerConnection | None) -> dict[str, Any]:
    if row is None:
        return {"state": "none", "broker": None}
    state = STATE_EXPIRED if row.state == STATE_CONNECTED and _expired(row) else row.state
    return {"state": state, "broker": row.broker, "connected_since": _utc(row.connected_at),
            "connected_until": _utc(row.expires_at), "ended_at": _utc(row.ended_at), "reason": row.end_reason}


def state(user_id: int) -> dict[str, Any]:
    """For the dashboard: none / connected / expired / disconnected, since when, until when, why."""
    return describe(for_user(user_id))


def any_live_session(broker: str) -> BrokerSession | None:
    """Some user's live session on `broker` (master-contract downloads that need a token)."""
    user_ids = db.session.scalars(select(BrokerConnection.user_id).where(
        BrokerConnection.broker == broker, BrokerConnection.state == STATE_CONNECTED)).all()
    for user_id in user_ids:
        try:
            return live_session(user_id).session
        except AuthError:
            continue
    return None
