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
from broker.errors import BrokerError
from broker.http import BrokerHttp
from broker.zerodha.mapping import error_class
from utils.logging import get_logger

log = get_logger("broker.zerodha")

API_URL = "https://api.kite.trade"
# Kite's documented request limits (per second, per api key): quote endpoints 1, historical candles 3,
# order placement 10, every other endpoint 10. The contract has three buckets, so the other reads
# (books, positions, funds) share the 10/s "orders" budget: conservative, never a 429.
RATE_LIMITS = {"orders": "10/second", "quotes": "1/second", "history": "3/second"}
READS = "orders"


class KiteClient:
    """Thin REST caller on the app's BrokerHttp (pooled session, timeouts, safe retries, rate budgets).
    `base_url` is configurable for tests only (a local fake Kite server)."""

    def __init__(self, http: BrokerHttp, api_key: str, base_url: str = API_URL):
        self.http = http
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")

    def headers(self, access_token: str | None) -> dict[str, str]:
        headers = {"X-Kite-Version": "3"}
        if access_token:
            headers["Authorization"] = f"token {self.api_key}:{access_token}"
        return headers

    def call(self, method: str, path: str, session: BrokerSession | None = None, *, bucket: str = READS,
             params: Any = None, form: Mapping[str, Any] | None = None, json: Any = None) -> Any:
        """Perform one call and return its `data`; raises a unified BrokerError on any failure. Bodies
        are forms, except the margin calculators, which take JSON."""
        response = self._send(method, path, session, bucket, params, form, json)
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
        response = self._send("GET", path, session, READS, None, None, None)
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {}
            raise self._error(response, body)
        return response.text

    def _send(self, method: str, path: str, session: BrokerSession | None, bucket: str, params: Any,
              form: Mapping[str, Any] | None, json: Any) -> requests.Response:
        token = session.auth_token if session else None
        return self.http.request(method, self.base_url + path, bucket=bucket, params=params, data=form,
                                 json=json, headers=self.headers(token))

    @staticmethod
    def _error(response: requests.Response, body: Mapping[str, Any]) -> BrokerError:
        error_type = body.get("error_type") or ""
        message = body.get("message") or f"Zerodha answered HTTP {response.status_code}"
        log.info("Zerodha refused %s %s: %s %s", response.request.method,
                 response.request.path_url.split("?")[0], response.status_code, error_type)
        return error_class(response.status_code, error_type, message)(
            message, broker="zerodha", code=error_type, raw=dict(body))
