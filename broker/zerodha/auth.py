"""Kite Connect login: the login URL, the session checksum, and when an access token stops working.

The flow (Kite Connect v3 docs, "User": login flow): the browser goes to the login URL with our api key;
Kite redirects to the app's redirect URL with `request_token`; we exchange it at `POST /session/token`
with `checksum = SHA-256(api_key + request_token + api_secret)` for an `access_token`. The token lasts
until Kite's daily cut-off, 06:00 IST the next morning, unless `DELETE /session/token` ends it earlier.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, time, timedelta
from urllib.parse import urlencode

from broker.zerodha.mapping import IST

LOGIN_URL = "https://kite.zerodha.com/connect/login"
DAILY_CUTOFF = time(6, 0)


def login_url(api_key: str, base: str = LOGIN_URL) -> str:
    return f"{base}?{urlencode({'v': 3, 'api_key': api_key})}"


def session_checksum(api_key: str, request_token: str, api_secret: str) -> str:
    return hashlib.sha256(f"{api_key}{request_token}{api_secret}".encode()).hexdigest()


def session_expiry(logged_in_at: datetime) -> datetime:
    """The first 06:00 IST after `logged_in_at` (an aware datetime): when the access token dies."""
    local = logged_in_at.astimezone(IST)
    cutoff = datetime.combine(local.date(), DAILY_CUTOFF, tzinfo=IST)
    return cutoff if local < cutoff else cutoff + timedelta(days=1)
