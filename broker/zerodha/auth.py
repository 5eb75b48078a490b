"""Kite Connect login: the login URL, the session checksum, and when an access token stops working.

The flow (Kite Connect v3 docs, "User": login flow): the browser goes to the login URL with our api key;
Kite redirects to the app's redirect URL with `request_token`; we exchange it at `POST /session/token`
with `checksum = SHA-256(api_key + request_token + api_secret)` for an `access_token`. The token lasts
until Kite's daily cut-off, 06:00 IST the next morning, unless `DELETE /session/token` ends it earlier.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, time, timedelta, timezone
from typing import Callable, Mapping
from urllib.parse import urlencode

from broker.contract import AuthAdapter, AuthResult, BrokerSession
from broker.errors import AuthError, TokenExpired
from broker.zerodha.client import KiteClient
from broker.zerodha.mapping import IST

LOGIN_URL = "https://kite.zerodha.com/connect/login"
DAILY_CUTOFF = time(6, 0)
_SECRET_FIELDS = ("access_token", "public_token", "enctoken", "refresh_token", "api_key")


def login_url(api_key: str, base: str = LOGIN_URL) -> str:
    return f"{base}?{urlencode({'v': 3, 'api_key': api_key})}"


def session_checksum(api_key: str, request_token: str, api_secret: str) -> str:
    return hashlib.sha256(f"{api_key}{request_token}{api_secret}".encode()).hexdigest()


def session_expiry(logged_in_at: datetime) -> datetime:
    """The first 06:00 IST after `logged_in_at` (an aware datetime): when the access token dies."""
    local = logged_in_at.astimezone(IST)
    cutoff = datetime.combine(local.date(), DAILY_CUTOFF, tzinfo=IST)
    return cutoff if local < cutoff else cutoff + timedelta(days=1)


class ZerodhaAuth(AuthAdapter):
    """The OAuth-style flow above, on the plugin's Kite client."""

    def __init__(self, client: KiteClient, api_secret: str, login_base: str = LOGIN_URL,
                 clock: Callable[[], datetime] | None = None):
        self.client = client
        self._api_secret = api_secret
        self.login_base = login_base
        self.clock = clock or (lambda: datetime.now(IST))

    def login_url(self, state: str) -> str:
        """Kite hands `redirect_params` back on the redirect, which carries our `state` through."""
        url = login_url(self.client.api_key, self.login_base)
        return f"{url}&{urlencode({'redirect_params': urlencode({'state': state})})}" if state else url

    def authenticate(self, credentials: Mapping[str, str]) -> AuthResult:
        request_token = (credentials.get("request_token") or "").strip()
        if not request_token:
            status = credentials.get("status") or "no request_token"
            raise AuthError(f"Zerodha login did not complete ({status}); please log in again", broker="zerodha")
        if not self.client.api_key or not self._api_secret:
            raise AuthError("ZERODHA_API_KEY and ZERODHA_API_SECRET must be set to connect Zerodha", broker="zerodha")
        form = {"api_key": self.client.api_key, "request_token": request_token,
                "checksum": session_checksum(self.client.api_key, request_token, self._api_secret)}
        try:
            data = self.client.call("POST", "/session/token", form=form)
        except TokenExpired as exc:   # a used or stale request token: the login itself failed
            raise AuthError(f"Zerodha refused the login: {exc.message}", broker="zerodha", raw=exc.raw) from None
        return AuthResult(auth_token=data["access_token"], feed_token=data.get("access_token", ""),
                          broker_user_id=data.get("user_id") or "",
                          # in UTC: storage without time zones (SQLite) keeps UTC wall-clock values
                          expires_at=session_expiry(self.clock()).astimezone(timezone.utc),
                          # the feed takes the api key and ticker URL from the plugin's settings, so
                          # neither (nor any test address) is stored in the user's session
                          extra={"user_name": data.get("user_name") or ""},
                          raw={k: v for k, v in data.items() if k not in _SECRET_FIELDS})

    def logout(self, session: BrokerSession) -> None:
        """`DELETE /session/token` invalidates the access token at Kite."""
        self.client.call("DELETE", "/session/token", session,
                         params={"api_key": self.client.api_key, "access_token": session.auth_token})
