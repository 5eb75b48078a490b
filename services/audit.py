"""The security audit log: who did what, from where. Any area records events through `record`.

Events (names are stable strings shown on the audit page): login, login_failed, logout,
password_changed, password_reset, totp_enrolled, api_key_created, api_key_rotated; later areas add
broker_connected / broker_disconnected. Details never hold secrets: names that look like secrets are
refused and every text value passes the log redaction before it is stored.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import has_request_context, request

from database import audit as store
from database import db
from utils import clock
from utils.logging import redact

EVENT_LABELS = {
    "login": "Signed in",
    "login_failed": "Failed sign-in",
    "logout": "Signed out",
    "password_changed": "Password changed",
    "password_reset": "Password reset with TOTP",
    "password_reset_failed": "Failed password reset",
    "totp_enrolled": "Authenticator (TOTP) enrolled",
    "api_key_created": "API key created",
    "api_key_rotated": "API key regenerated (old key revoked)",
    "broker_connected": "Broker connected",
    "broker_disconnected": "Broker disconnected",
    "analyzer_toggled": "Analyzer (sandbox) mode switched",
}
_SECRET_NAME = re.compile(r"(?i)pass|secret|token|key|otp|code|pepper")
PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditEntry:
    id: int
    event: str
    label: str
    at: datetime
    ip: str | None
    user_agent: str | None
    details: dict[str, Any]


def record(user_id: int, event: str, *, commit: bool = True, **details: Any) -> None:
    """Store one event for `user_id`. IP and user agent come from the current request, if any.

    `commit=False` lets a caller store the event in the same transaction as the change it describes.
    """
    if event not in EVENT_LABELS:
        raise ValueError(f"unknown audit event {event!r}; add it to services.audit.EVENT_LABELS")
    for name in details:
        if _SECRET_NAME.search(name):
            raise ValueError(f"audit detail {name!r} looks like a secret; audit entries never hold secrets")
    ip = user_agent = None
    if has_request_context():
        ip = request.remote_addr
        user_agent = (request.user_agent.string or "")[:255] or None
    clean = {name: redact(value) if isinstance(value, str) else value for name, value in details.items()}
    store.add(store.AuditEvent(user_id=user_id, event=event, ip=ip, user_agent=user_agent,
                               details=json.dumps(clean) if clean else None, created_at=clock.now()))
    if commit:
        db.session.commit()


def entries(user_id: int, before_id: int | None = None, limit: int = PAGE_SIZE) -> list[AuditEntry]:
    """The user's events, newest first; page on with `before_id` = the last id shown."""
    return [AuditEntry(id=row.id, event=row.event, label=EVENT_LABELS.get(row.event, row.event),
                       at=row.created_at, ip=row.ip, user_agent=row.user_agent,
                       details=json.loads(row.details) if row.details else {})
            for row in store.for_user(user_id, limit, before_id)]
