"""Logging in to a Noren OMS: Shoonya's QuickAuth form, Flattrade's redirect and API-token exchange.

Shoonya (Noren API "login", QuickAuth): the user types their user id, password and the TOTP of the
moment; we send `pwd` = SHA-256(password), `appkey` = SHA-256(`<uid>|<api secret>`), `factor2` = TOTP,
`vc` = the vendor code and `imei`, and get the `susertoken` that every call sends as `jKey`. The password
is never stored. Flattrade (pythonAPI docs, "token generation"): the browser goes to
`auth.flattrade.in/?app_key=<key>`, Flattrade sends it back to the redirect URL registered with the key
carrying `code` (and `client`); `POST authapi.flattrade.in/trade/apitoken` with JSON `{api_key,
request_code, api_secret: SHA-256(api_key + request_code + secret)}` answers the `token`.
Both sessions end at the OMS's daily session reset; an expired one is detected by the "Session Expired"
answer (TokenExpired). Logout calls `Logout`.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, time, timedelta, timezone
from typing import Callable, Mapping
from urllib.parse import urlencode

from broker.contract import AuthAdapter, AuthResult, BrokerSession
from broker.errors import AuthError, BrokerError
from broker.noren.client import ORDERS, NorenClient
from broker.noren.mapping import IST

SESSION_RESET = time(5, 0)          # the OMS ends every session before the next trading day (IST)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def next_reset(now: datetime) -> datetime:
    """The next 05:00 IST after `now`, in UTC."""
    local = now.astimezone(IST)
    reset = local.replace(hour=SESSION_RESET.hour, minute=0, second=0, microsecond=0)
    if reset <= local:
        reset += timedelta(days=1)
    return reset.astimezone(timezone.utc)


class NorenAuth(AuthAdapter):
    def __init__(self, client: NorenClient, clock: Callable[[], datetime] | None = None):
        self.client = client
        self.clock = clock or (lambda: datetime.now(timezone.utc))

    def logout(self, session: BrokerSession) -> None:
        try:
            self.client.call("Logout", {}, session, bucket=ORDERS)
        except BrokerError:
            pass   # an already-ended session: forgetting it here is all that is left to do


class ShoonyaAuth(NorenAuth):
    """QuickAuth with the fields the user types (Manifest.login_fields)."""

    def __init__(self, client: NorenClient, vendor_code: str, api_secret: str, imei: str,
                 clock: Callable[[], datetime] | None = None):
        super().__init__(client, clock)
        self.vendor_code, self._api_secret, self.imei = vendor_code, api_secret, imei

    def authenticate(self, credentials: Mapping[str, str]) -> AuthResult:
        user = (credentials.get("user_id") or "").strip().upper()
        password = credentials.get("password") or ""
        totp = (credentials.get("totp") or "").strip()
        if not user or not password or not totp:
            raise AuthError("Enter your Shoonya user id, password and the current TOTP code", broker=self.client.broker)
        if not self.vendor_code or not self._api_secret:
            raise AuthError("SHOONYA_VENDOR_CODE and SHOONYA_API_SECRET must be set to connect",
                            broker=self.client.broker)
        values = {"source": "API", "apkversion": "1.0.0", "uid": user, "pwd": sha256(password), "factor2": totp,
                  "vc": self.vendor_code, "appkey": sha256(f"{user}|{self._api_secret}"), "imei": self.imei}
        try:
            answer = self.client.call("QuickAuth", values, bucket=ORDERS)
        except BrokerError as exc:
            raise AuthError(f"Shoonya refused the login: {exc.message}", broker=self.client.broker) from None
        token = answer.get("susertoken") or ""
        if not token:
            raise AuthError("Shoonya's login answer carried no session token", broker=self.client.broker)
        return AuthResult(auth_token=token, feed_token=token, broker_user_id=str(answer.get("actid") or user),
                          expires_at=next_reset(self.clock()), extra={"user_name": str(answer.get("uname") or "")},
                          raw={k: v for k, v in answer.items() if k != "susertoken"})


class FlattradeAuth(NorenAuth):
    """The redirect login and the API-token exchange."""

    def __init__(self, client: NorenClient, api_key: str, api_secret: str, login_url: str, token_url: str,
                 clock: Callable[[], datetime] | None = None):
        super().__init__(client, clock)
        self.api_key, self._api_secret = api_key, api_secret
        self._login_url, self._token_url = login_url, token_url

    def login_url(self, state: str) -> str:
        if not self.api_key:
            raise AuthError("FLATTRADE_API_KEY must be set to connect Flattrade", broker=self.client.broker)
        return f"{self._login_url.rstrip('/')}/?{urlencode({'app_key': self.api_key})}"

    def authenticate(self, credentials: Mapping[str, str]) -> AuthResult:
        code = (credentials.get("code") or credentials.get("request_code") or "").strip()
        if not code:
            raise AuthError("The Flattrade login did not complete (no request code); please log in again",
                            broker=self.client.broker)
        if not self.api_key or not self._api_secret:
            raise AuthError("FLATTRADE_API_KEY and FLATTRADE_API_SECRET must be set to connect",
                            broker=self.client.broker)
        response = self.client.http.request("POST", self._token_url, bucket=ORDERS, json={
            "api_key": self.api_key, "request_code": code,
            "api_secret": sha256(f"{self.api_key}{code}{self._api_secret}")})
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        token = answer.get("token") if isinstance(answer, dict) else ""
        if response.status_code >= 400 or not token:
            reason = answer.get("emsg") if isinstance(answer, dict) else ""
            raise AuthError(f"Flattrade refused the login: {reason or f'HTTP {response.status_code}'}",
                            broker=self.client.broker)
        client_id = str(answer.get("client") or credentials.get("client") or "")
        return AuthResult(auth_token=token, feed_token=token, broker_user_id=client_id,
                          expires_at=next_reset(self.clock()),
                          raw={k: v for k, v in answer.items() if k != "token"})
