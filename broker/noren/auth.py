"""Logging in to a Noren OMS: Shoonya's and Flattrade's redirect logins and their token exchanges.

Shoonya (Noren OAuth, "GenAcsTok"): Connect sends the browser to Shoonya's OAuth page
(`<login url>?client_id=<client id>`); after the user signs in there (password and TOTP, on Shoonya's
page) Shoonya sends it back to the redirect URL registered with the API key carrying `code`. `POST
<api>/GenAcsTok` with `jData={"code", "checksum"}`, the checksum being SHA-256 of client id + secret code
+ code (concatenated, no separator), answers `access_token` (sent on every later call as
`Authorization: Bearer <access_token>`, broker/noren/client.py), `refresh_token`, `expires_in` (the
token's end, epoch seconds), the user id and, for the WebSocket, `susertoken`. Flattrade (pythonAPI
docs, "token generation"): the browser goes to `auth.flattrade.in/?app_key=<key>`, Flattrade sends it
back to the redirect URL registered with the key carrying `code` (and `client`); `POST
authapi.flattrade.in/trade/apitoken` with JSON `{api_key, request_code, api_secret: SHA-256(api_key +
request_code + secret)}` answers the `token`, sent as `jKey`.
Both sessions end at the OMS's daily session reset (or Shoonya's `expires_in`, when sooner); an expired
one is detected by the "Session Expired" answer (TokenExpired). Logout calls `Logout`. No password or
secret is ever stored or sent in clear.
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
from utils import clock as app_clock

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
        self.clock = clock or app_clock.now        # the app's one clock (shifted in date tests)

    def logout(self, session: BrokerSession) -> None:
        try:
            self.client.call("Logout", {}, session, bucket=ORDERS)
        except BrokerError:
            pass   # an already-ended session: forgetting it here is all that is left to do


def token_end(expires_in: object, now: datetime) -> datetime:
    """When a GenAcsTok session ends: its `expires_in` (epoch seconds) when that is a time ahead, never
    later than the next session reset."""
    reset = next_reset(now)
    try:
        end = datetime.fromtimestamp(int(float(str(expires_in))), timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return reset
    return end if now < end < reset else reset


class ShoonyaAuth(NorenAuth):
    """The OAuth redirect and the GenAcsTok code exchange."""

    def __init__(self, client: NorenClient, client_id: str, secret: str, login_url: str,
                 clock: Callable[[], datetime] | None = None):
        super().__init__(client, clock)
        self.client_id, self._secret, self._login_url = client_id, secret, login_url

    def login_url(self, state: str) -> str:
        # Noren's OAuth page takes the client id only; the dashboard ties the callback to this browser
        if not self.client_id:
            raise AuthError("SHOONYA_CLIENT_ID must be set to connect Shoonya", broker=self.client.broker)
        return f"{self._login_url.rstrip('/?')}?{urlencode({'client_id': self.client_id})}"

    def authenticate(self, credentials: Mapping[str, str]) -> AuthResult:
        code = (credentials.get("code") or "").strip()
        if not code:
            raise AuthError("The Shoonya login did not complete (no code came back); please log in again",
                            broker=self.client.broker)
        if not self.client_id or not self._secret:
            raise AuthError("SHOONYA_CLIENT_ID and SHOONYA_API_SECRET must be set to connect",
                            broker=self.client.broker)
        checksum = sha256(f"{self.client_id}{self._secret}{code}")
        try:
            answer = self.client.call("GenAcsTok", {"code": code, "checksum": checksum}, bucket=ORDERS)
        except BrokerError as exc:
            raise AuthError(f"Shoonya refused the login: {exc.message}", broker=self.client.broker) from None
        token = str(answer.get("access_token") or "") if isinstance(answer, dict) else ""
        if not token:
            raise AuthError("Shoonya's login answer carried no access token", broker=self.client.broker)
        user = str(answer.get("uid") or answer.get("actid") or answer.get("USERID") or "")
        secrets = ("access_token", "refresh_token", "susertoken")
        return AuthResult(auth_token=token, feed_token=str(answer.get("susertoken") or token), broker_user_id=user,
                          expires_at=token_end(answer.get("expires_in"), self.clock()),
                          extra={"user_name": str(answer.get("uname") or "")},
                          raw={k: v for k, v in answer.items() if k not in secrets})


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
