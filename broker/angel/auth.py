"""SmartAPI login: client code + PIN + the current TOTP → JWT, refresh and feed tokens.

The flow (SmartAPI docs, "User"): `POST /rest/auth/angelbroking/user/v1/loginByPassword` with
`{clientcode, password (the 4-digit PIN), totp}` answers `jwtToken`, `refreshToken` and `feedToken`;
`GET .../user/v1/getProfile` confirms the client code; `POST .../user/v1/logout` with `{clientcode}` ends
the session. Angel expects a fresh login every trading day, so the session is treated as ending at the
next midnight IST; a token Angel stops accepting earlier (AG8001) is detected on the next call.
"""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta, timezone
from typing import Callable, Mapping

from broker.angel.client import AUTH, SECURE, SmartApiClient
from broker.angel.mapping import IST
from broker.contract import AuthAdapter, AuthResult, BrokerSession, SettingSpec
from broker.errors import AuthError, BrokerError, TokenExpired

LOGIN_FIELDS = (
    SettingSpec(name="client_code", label="Angel One client code", description="e.g. A123456"),
    SettingSpec(name="pin", label="Angel One login PIN", secret=True, description="the 4-digit MPIN"),
    SettingSpec(name="totp", label="TOTP code", secret=True,
                description="the 6-digit code of the authenticator app enabled at smartapi.angelone.in/enable-totp"),
)


def session_expiry(logged_in_at: datetime) -> datetime:
    """The midnight IST after `logged_in_at` (an aware datetime)."""
    local = logged_in_at.astimezone(IST)
    return datetime.combine(local.date() + timedelta(days=1), time.min, tzinfo=IST)


def _field(credentials: Mapping[str, str], name: str) -> str:
    return str(credentials.get(name) or "").strip()


class AngelAuth(AuthAdapter):
    def __init__(self, client: SmartApiClient, clock: Callable[[], datetime] | None = None):
        self.client = client
        self.clock = clock or (lambda: datetime.now(IST))

    def authenticate(self, credentials: Mapping[str, str]) -> AuthResult:
        client_code, pin, totp = (_field(credentials, name) for name in ("client_code", "pin", "totp"))
        missing = [spec.label for spec, value in zip(LOGIN_FIELDS, (client_code, pin, totp)) if not value]
        if missing:
            raise AuthError(f"{', '.join(missing)} required to connect Angel One", broker="angel")
        if not re.fullmatch(r"\d{6}", totp):
            raise AuthError("TOTP code must be the 6 digits your authenticator app shows", broker="angel")
        if not self.client.api_key:
            raise AuthError("ANGEL_API_KEY must be set to connect Angel One", broker="angel")
        try:
            data = self.client.call("POST", f"{AUTH}/user/v1/loginByPassword", bucket="orders",
                                    body={"clientcode": client_code.upper(), "password": pin, "totp": totp}) or {}
        except (AuthError, TokenExpired) as exc:
            raise AuthError(f"Angel One refused the login: {exc.message}", broker="angel", code=exc.code) from None
        jwt = data.get("jwtToken") or ""
        if not jwt:
            raise BrokerError("Angel One's login answer has no jwtToken", broker="angel")
        session = BrokerSession(user_id=0, broker="angel", auth_token=jwt, broker_user_id=client_code.upper())
        profile = self.client.call("GET", f"{SECURE}/user/v1/getProfile", session) or {}
        broker_user_id = str(profile.get("clientcode") or client_code).upper()
        return AuthResult(
            auth_token=jwt, feed_token=data.get("feedToken") or "", broker_user_id=broker_user_id,
            # UTC: storage without time zones (SQLite) keeps UTC wall-clock values
            expires_at=session_expiry(self.clock()).astimezone(timezone.utc),
            # stored encrypted with the session; the feeds need the client code
            extra={"client_code": broker_user_id, "refresh_token": data.get("refreshToken") or "",
                   "user_name": str(profile.get("name") or "")},
            raw={"profile": {k: profile.get(k) for k in ("clientcode", "name", "exchanges", "products")}})

    def logout(self, session: BrokerSession) -> None:
        client_code = session.extra.get("client_code") or session.broker_user_id
        self.client.call("POST", f"{SECURE}/user/v1/logout", session, bucket="orders", body={"clientcode": client_code})
