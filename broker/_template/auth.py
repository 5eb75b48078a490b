"""Login: where the browser goes, and turning the callback's request token into a session.

The template broker's flow is the common OAuth-style one (Zerodha's, Upstox's): the user logs in on
the broker's page (TEMPLATE_LOGIN_URL?api_key=...&state=...), the broker redirects to our callback
with `request_token`, and `POST /session/token` with `checksum = SHA-256(api_key + request_token +
api_secret)` returns the access token and when it ends. Form or TOTP brokers implement
`authenticate(credentials)` with Manifest.login_fields instead, and no login_url.
"""
from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Mapping
from urllib.parse import urlencode

from broker._template.client import TemplateClient
from broker.contract import AuthAdapter, AuthResult, BrokerSession
from broker.errors import AuthError, TokenExpired


class TemplateAuth(AuthAdapter):
    def __init__(self, client: TemplateClient, api_secret: str, login_url: str):
        self.client = client
        self._api_secret = api_secret
        self._login_url = login_url

    def login_url(self, state: str) -> str:
        return f"{self._login_url}?{urlencode({'api_key': self.client.api_key, 'state': state})}"

    def authenticate(self, credentials: Mapping[str, str]) -> AuthResult:
        request_token = (credentials.get("request_token") or "").strip()
        if not request_token:
            raise AuthError("The broker login did not complete; please log in again", broker="template")
        if not self.client.api_key or not self._api_secret:
            raise AuthError("TEMPLATE_API_KEY and TEMPLATE_API_SECRET must be set to connect", broker="template")
        checksum = hashlib.sha256(f"{self.client.api_key}{request_token}{self._api_secret}".encode()).hexdigest()
        try:
            data = self.client.call("POST", "/session/token", form={"api_key": self.client.api_key,
                                                                   "request_token": request_token,
                                                                   "checksum": checksum})
        except TokenExpired as exc:   # a stale request token: the login itself failed
            raise AuthError(f"The broker refused the login: {exc.message}", broker="template") from None
        expires = data.get("expires_at")
        return AuthResult(auth_token=data["access_token"], broker_user_id=data.get("user_id") or "",
                          expires_at=datetime.fromisoformat(expires) if expires else None,
                          extra={"user_name": data.get("user_name") or ""},   # never tokens or URLs here
                          raw={k: v for k, v in data.items() if k != "access_token"})

    def logout(self, session: BrokerSession) -> None:
        self.client.call("DELETE", "/session/token", session)
