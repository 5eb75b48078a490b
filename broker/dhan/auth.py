"""Dhan login: an access token from web.dhan.co, or the API-key consent flow; and when it stops working.

DhanHQ v2 "Authentication": every access token lives at most 24 hours. Two ways to get one:

* pasted: the user generates it at web.dhan.co → My Profile → DhanHQ Trading APIs and types it with
  their client id into the login form. We check it with `GET /v2/profile`, which also tells its
  `tokenValidity` (`DD/MM/YYYY HH:MM`, IST).
* PIN + TOTP (TOTP enabled for the account at Dhan): `POST auth.dhan.co/app/generateAccessToken` with
  `dhanClientId`, `pin` and `totp` answers the `accessToken` and its `expiryTime`.
* consent (API key and secret, valid 12 months): `POST auth.dhan.co/app/generate-consent?client_id=`
  with `app_id` / `app_secret` headers gives a `consentAppId`; the browser logs in at
  `auth.dhan.co/login/consentApp-login?consentAppId=` (2FA / TOTP at Dhan) and comes back to the
  redirect URL registered with the key carrying `tokenId`; `GET auth.dhan.co/app/consumeApp-consent?
  tokenId=` (same headers) answers the `accessToken` and its `expiryTime` (ISO, IST).

Dhan has no logout endpoint for access tokens: disconnecting forgets the token here.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping
from urllib.parse import urlencode

from broker.contract import AuthAdapter, AuthResult, BrokerSession
from broker.errors import AuthError, BrokerError, TokenExpired
from broker.http import BrokerHttp
from broker.dhan.client import DhanClient
from broker.dhan.mapping import IST

AUTH_URL = "https://auth.dhan.co"
TOKEN_LIFETIME = timedelta(hours=24)
_SECRET_FIELDS = ("accessToken", "access_token", "token")


def parse_token_validity(text: str) -> datetime | None:
    """`30/03/2025 15:37` (profile) or `2025-09-23T12:37:23` (consent) — IST — → aware UTC datetime."""
    for layout in ("%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime((text or "").strip()[:19], layout).replace(tzinfo=IST).astimezone(timezone.utc)
        except ValueError:
            continue
    return None


class DhanAuth(AuthAdapter):
    def __init__(self, client: DhanClient, *, default_client_id: str = "", api_key: str = "", api_secret: str = "",
                 auth_url: str = AUTH_URL, clock: Callable[[], datetime] | None = None):
        self.client = client
        self.default_client_id = default_client_id
        self._api_key, self._api_secret = api_key, api_secret
        self.auth_url = auth_url.rstrip("/")
        self.clock = clock or (lambda: datetime.now(timezone.utc))

    @property
    def consent_flow(self) -> bool:
        return bool(self._api_key and self._api_secret and self.default_client_id)

    def _app_headers(self) -> dict[str, str]:
        return {"app_id": self._api_key, "app_secret": self._api_secret} if self._api_key else {}

    def _auth_call(self, method: str, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        http: BrokerHttp = self.client.http
        response = http.request(method, f"{self.auth_url}{path}", bucket="orders", params=dict(params),
                                headers=self._app_headers())
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400 or not isinstance(body, dict) or body.get("status") == "error":
            reason = body.get("message") if isinstance(body, dict) else ""
            raise AuthError(f"Dhan refused the login: {reason or f'HTTP {response.status_code}'}", broker="dhan")
        return body

    def login_url(self, state: str) -> str:
        """Consent flow step 1 and 2: a consent id from Dhan, then the browser's login page. Dhan sends
        the browser back to the redirect URL registered with the API key (it carries no `state`)."""
        if not self.consent_flow:
            raise AuthError("DHAN_CLIENT_ID, DHAN_API_KEY and DHAN_API_SECRET must be set for the Dhan "
                            "API-key login", broker="dhan")
        body = self._auth_call("POST", "/app/generate-consent", {"client_id": self.default_client_id})
        consent = body.get("consentAppId") or ""
        if not consent:
            raise AuthError("Dhan did not start the login (no consentAppId)", broker="dhan")
        return f"{self.auth_url}/login/consentApp-login?{urlencode({'consentAppId': consent})}"

    def authenticate(self, credentials: Mapping[str, str]) -> AuthResult:
        token_id = (credentials.get("tokenId") or credentials.get("tokenid") or "").strip()
        if token_id:
            return self._consume_consent(token_id)
        client_id = (credentials.get("client_id") or self.default_client_id or "").strip()
        access_token = (credentials.get("access_token") or "").strip()
        pin, totp = (credentials.get("pin") or "").strip(), (credentials.get("totp") or "").strip()
        if client_id and not access_token and pin and totp:
            return self._pin_totp(client_id, pin, totp)
        if not client_id or not access_token:
            raise AuthError("Enter your Dhan client id and either an access token generated at web.dhan.co or "
                            "your Dhan PIN and the current TOTP code", broker="dhan")
        return self._verified(client_id, access_token, expires_hint=None, raw={})

    def _pin_totp(self, client_id: str, pin: str, totp: str) -> AuthResult:
        """`POST auth.dhan.co/app/generateAccessToken?dhanClientId=&pin=&totp=` (TOTP enabled at Dhan)."""
        body = self._auth_call("POST", "/app/generateAccessToken", {"dhanClientId": client_id, "pin": pin, "totp": totp})
        token = body.get("accessToken") or ""
        if not token:
            raise AuthError("Dhan's login answer carried no access token", broker="dhan")
        return self._verified(str(body.get("dhanClientId") or client_id), token,
                              expires_hint=parse_token_validity(str(body.get("expiryTime") or "")),
                              raw={k: v for k, v in body.items() if k not in _SECRET_FIELDS})

    def _consume_consent(self, token_id: str) -> AuthResult:
        if not self.consent_flow:
            raise AuthError("DHAN_API_KEY and DHAN_API_SECRET must be set to finish the Dhan login", broker="dhan")
        body = self._auth_call("GET", "/app/consumeApp-consent", {"tokenId": token_id})
        token = body.get("accessToken") or ""
        if not token:
            raise AuthError("Dhan's login answer carried no access token", broker="dhan")
        return self._verified(str(body.get("dhanClientId") or self.default_client_id), token,
                              expires_hint=parse_token_validity(str(body.get("expiryTime") or "")),
                              raw={k: v for k, v in body.items() if k not in _SECRET_FIELDS})

    def _verified(self, client_id: str, access_token: str, *, expires_hint: datetime | None,
                  raw: Mapping[str, Any]) -> AuthResult:
        """`GET /v2/profile` with the token: proves it works for this client id and tells its expiry."""
        session = BrokerSession(user_id=0, broker="dhan", auth_token=access_token, broker_user_id=client_id)
        try:
            profile = self.client.call("GET", "/profile", session) or {}
        except TokenExpired:
            raise AuthError("Dhan refused the access token for this client id (invalid or expired); "
                            "generate a new one at web.dhan.co", broker="dhan") from None
        except BrokerError as exc:
            raise AuthError(f"Dhan could not confirm the login: {exc.message}", broker="dhan") from None
        expires = (parse_token_validity(str(profile.get("tokenValidity") or "")) or expires_hint
                   or self.clock() + TOKEN_LIFETIME)
        return AuthResult(auth_token=access_token, feed_token=access_token,
                          broker_user_id=str(profile.get("dhanClientId") or client_id), expires_at=expires,
                          extra={"data_plan": str(profile.get("dataPlan") or "")},
                          raw={**raw, **{k: v for k, v in profile.items() if k not in _SECRET_FIELDS}})

    def logout(self, session: BrokerSession) -> None:
        """Dhan offers no revocation call for access tokens; the stored session is simply removed."""
        return None
