"""The one place Zerodha's REST API is called: headers, rate budgets, answers and errors.

Every call carries `X-Kite-Version: 3` and `Authorization: token api_key:access_token`; bodies are
form-encoded; answers are `{"status": "success", "data": ...}` or `{"status": "error", "error_type": ...,
"message": ...}`. Errors leave this module as the unified tree (broker/errors.py) through the plugin's
error table; a TokenException becomes TokenExpired, which the services turn into "broker session
expired". Retrying is not done here: transient errors are retried (for safe calls only) by the HTTP
session the app configures (broker/http.py), never order placement.
"""
from __future__ import annotations

from typing import Any, Mapping

import requests

from broker.contract import BrokerSession
from broker.errors import BrokerError, NetworkError, RateLimited
from broker.zerodha.mapping import error_class
from utils.logging import get_logger

log = get_logger("broker.zerodha")

API_URL = "https://api.kite.trade"
TIMEOUT = (5, 15)          # seconds: connect, read
# Kite's documented request limits (per second, per api key): quotes 1, historical candles 3,
# order placement 10, everything else 10. The limiter keeps each bucket under its budget.
RATE_BUDGETS = {"quotes": 1, "history": 3, "orders": 10, "other": 10}


class KiteClient:
    """Thin REST caller. `base_url` is configurable for tests only (a local fake Kite server)."""

    def __init__(self, http: requests.Session, api_key: str, base_url: str = API_URL, rate_limiter: Any = None):
        self.http = http
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.rate_limiter = rate_limiter

    def headers(self, access_token: str | None) -> dict[str, str]:
        headers = {"X-Kite-Version": "3"}
        if access_token:
            headers["Authorization"] = f"token {self.api_key}:{access_token}"
        return headers

    def call(self, method: str, path: str, session: BrokerSession | None = None, *, bucket: str = "other",
             params: Any = None, form: Mapping[str, Any] | None = None, access_token: str | None = None) -> Any:
        """Perform one call and return its `data`; raises a unified BrokerError on any failure."""
        response = self._send(method, path, session, bucket, params, form, access_token)
        try:
            body = response.json()
        except ValueError:
            raise error_class(response.status_code, "DataException")(
                f"Zerodha answered {response.status_code} with a body that is not JSON", broker="zerodha") from None
        if response.status_code >= 400 or body.get("status") == "error":
            raise self._error(response, body)
        return body.get("data")

    def text(self, path: str, session: BrokerSession | None = None) -> str:
        """A CSV endpoint (the instrument dump)."""
        response = self._send("GET", path, session, "other", None, None, None)
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {}
            raise self._error(response, body)
        return response.text

    def _send(self, method: str, path: str, session: BrokerSession | None, bucket: str, params: Any,
              form: Mapping[str, Any] | None, access_token: str | None) -> requests.Response:
        if self.rate_limiter is not None:
            self.rate_limiter.acquire(bucket)
        token = access_token or (session.auth_token if session else None)
        try:
            return self.http.request(method, self.base_url + path, params=params, data=form,
                                     headers=self.headers(token), timeout=TIMEOUT)
        except requests.Timeout:
            raise NetworkError("Zerodha did not answer in time", broker="zerodha") from None
        except requests.RequestException as exc:
            raise NetworkError(f"Cannot reach Zerodha: {type(exc).__name__}", broker="zerodha") from None

    @staticmethod
    def _error(response: requests.Response, body: Mapping[str, Any]) -> BrokerError:
        error_type = body.get("error_type") or ""
        message = body.get("message") or f"Zerodha answered HTTP {response.status_code}"
        kind = error_class(response.status_code, error_type, message)
        if kind is RateLimited:
            retry_after = response.headers.get("Retry-After")
            return RateLimited(message, retry_after=float(retry_after) if retry_after else 1.0,
                               broker="zerodha", code=error_type, raw=dict(body))
        log.info("Zerodha refused %s %s: %s %s", response.request.method, response.request.path_url.split("?")[0],
                 response.status_code, error_type)
        return kind(message, broker="zerodha", code=error_type, raw=dict(body))
