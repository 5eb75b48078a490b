"""When a browser session ends: at the first SESSION_EXPIRY_TIME (IST) after sign-in.

Indian brokers' tokens expire overnight, so sessions end at one daily wall-clock time in Asia/Kolkata,
computed from the sign-in instant whatever the server's own time zone is.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

IST = ZoneInfo("Asia/Kolkata")


def expires_at(login_at: datetime, expiry_hhmm: str) -> datetime:
    """The first instant strictly after `login_at` (aware) when the IST clock shows `expiry_hhmm`."""
    hour, minute = (int(part) for part in expiry_hhmm.split(":"))
    local = login_at.astimezone(IST)
    candidate = datetime.combine(local.date(), time(hour, minute), tzinfo=IST)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate


def is_expired(login_at: datetime, expiry_hhmm: str, now: datetime) -> bool:
    return now >= expires_at(login_at, expiry_hhmm)
