"""Issuing, rotating and revealing a user's API key (one key per user).

A key is 256 random bits as 64 hex characters. It is stored twice, never in clear: encrypted with
`secret_box(pepper)` so its owner can see it again, and as `keyed_digest(pepper, key)` for verification
(services.auth). Issuing a new key replaces the old one in the same transaction: revocation is immediate.
"""
from __future__ import annotations

import secrets

from flask import current_app

from database import api_keys as store
from database import db
from services import audit
from services.auth import key_digest
from utils import clock
from utils.crypto import secret_box


def _box():
    return secret_box(current_app.extensions["openalgo.settings"].API_KEY_PEPPER)


def issue(user_id: int, *, source: str) -> str:
    """Create the user's key, or replace (and so revoke) the current one. Returns the new key."""
    new_key = secrets.token_hex(32)
    replacing = store.for_user(user_id) is not None
    store.store(user_id, key_digest(new_key), _box().encrypt(new_key), clock.now())
    audit.record(user_id, "api_key_rotated" if replacing else "api_key_created", commit=False, source=source)
    db.session.commit()
    return new_key


def reveal(user_id: int) -> str | None:
    row = store.for_user(user_id)
    return _box().decrypt(row.key_encrypted) if row else None


def masked(user_id: int) -> str | None:
    """The key with all but its first and last four characters hidden, for display."""
    key = reveal(user_id)
    return f"{key[:4]}{'•' * 12}{key[-4:]}" if key else None
