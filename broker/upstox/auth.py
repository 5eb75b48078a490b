"""Upstox login: OAuth 2 authorization code, the token exchange, and when an access token stops working.

The flow (docs, "Authentication"): the browser goes to `GET /v2/login/authorization/dialog` with
`response_type=code`, our `client_id` (the API key), the `redirect_uri` registered for the app and a
`state`; Upstox sends it back to the redirect URI with `code` and `state`; we exchange the code at
`POST /v2/login/authorization/token` (form fields code, client_id, client_secret, redirect_uri,
grant_type=authorization_code) for an `access_token`. Every access token expires at 03:30 IST the next
morning, whenever it was made; `DELETE /v2/logout` ends it earlier.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from typing import Callable, Mapping
from urllib.parse import urlencode

from broker.contract import AuthAdapter, AuthResult, BrokerSession
from broker.errors import AuthError, BrokerError
from broker.upstox.client import UpstoxClient
from broker.upstox.mapping import BROKER, IST

DAILY_CUTOFF = time(3, 30)
_SECRET_FIELDS = ("access_token", "extended_token", "email")


def session_expiry(logged_in_at: datetime) -> datetime:
    """The first 03:30 IST after `logged_in_at` (an aware datetime): when the access token dies."""
    local = logged_in_at.astimezone(IST)
    cutoff = datetime.combine(local.date(), DAILY_CUTOFF, tzinfo=IST)
    return cutoff if local < cutoff else cutoff + timedelta(days=1)


class UpstoxAuth(AuthAdapter):
    def __init__(self, client: UpstoxClient, *, api_key: str, api_secret: str, redirect_url: str,
                 clock: Callable[[], datetime] | None = None):
        self.client = client
        self.api_key = api_key
        self._api_secret = api_secret
        self.redirect_url = redirect_url
        self.clock = clock or (lambda: datetime.now(timezone.utc))

    def login_url(self, state: str) -> str:
        query = {"response_type": "code", "client_id": self.api_key, "redirect_uri": self.redirect_url}
        if state:
            query["state"] = state
        return f"{self.client.api_url}/v2/login/authorization/dialog?{urlencode(query)}"

    def authenticate(self, credentials: Mapping[str, str]) -> AuthResult:
        code = (credentials.get("code") or "").strip()
        if not code:
            reason = credentials.get("error_description") or credentials.get("error") or "no authorization code"
            raise AuthError(f"Upstox login did not complete ({reason}); please log in again", broker=BROKER)
        if not self.api_key or not self._api_secret or not self.redirect_url:
            raise AuthError("UPSTOX_API_KEY, UPSTOX_API_SECRET and UPSTOX_REDIRECT_URL must be set to connect Upstox",
                            broker=BROKER)
        form = {"code": code, "client_id": self.api_key, "client_secret": self._api_secret,
                "redirect_uri": self.redirect_url, "grant_type": "authorization_code"}
        try:
            data = self.client.call("POST", "/v2/login/authorization/token", form=form)
        except AuthError as exc:
            raise AuthError(f"Upstox refused the login: {exc.message}", broker=BROKER, code=exc.code) from None
        except BrokerError as exc:
            if exc.http_status >= 500 or exc.retryable:
                raise
            raise AuthError(f"Upstox refused the login: {exc.message}", broker=BROKER, code=exc.code) from None
        token = data.get("access_token") if isinstance(data, dict) else None
        if not token:
            raise AuthError("Upstox answered the login without an access token", broker=BROKER)
        return AuthResult(auth_token=token, feed_token=token, broker_user_id=data.get("user_id") or "",
                          # in UTC: storage without time zones (SQLite) keeps UTC wall-clock values
                          expires_at=session_expiry(self.clock()).astimezone(timezone.utc),
                          extra={"user_name": data.get("user_name") or ""},
                          raw={k: v for k, v in data.items() if k not in _SECRET_FIELDS})

    def logout(self, session: BrokerSession) -> None:
        self.client.call("DELETE", "/v2/logout", session)
