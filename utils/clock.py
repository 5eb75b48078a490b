"""The current time, replaceable per app so tests can move the clock (session expiry, key dates).

An app built with the Flask config key `OPENALGO_CLOCK` (a callable returning an aware datetime) uses
it; everything else uses the real UTC time.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app, has_app_context


def now() -> datetime:
    """Aware UTC datetime."""
    if has_app_context():
        clock = current_app.config.get("OPENALGO_CLOCK")
        if clock is not None:
            return clock().astimezone(timezone.utc)
    return datetime.now(timezone.utc)
