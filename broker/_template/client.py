"""The REST caller: base URL, authentication headers, JSON envelope and error translation, on the
project's one HTTP client (broker/http.py: pooling, timeouts, retries of idempotent calls, 429/5xx).

The template broker's envelope is `{"status": "ok", "data": ...}` or `{"status": "error", "code": ...,
"message": ...}`; replace `_unwrap` with your broker's. A body that is not JSON is the broker failing,
not us: it becomes BrokerUnavailable (retryable), never a 500 with a traceback.
"""
from __future__ import annotations

from typing import Any, Mapping

import requests

from broker._template.errors import ERROR_TABLE
from broker.contract import BrokerSession
from broker.errors import BrokerError, BrokerUnavailable
from broker.http import BrokerHttp

ORDERS, READS, HISTORY = "orders", "quotes", "history"      # rate-limit buckets (capabilities.rate_limits)


class TemplateClient:
    def __init__(self, http: BrokerHttp, api_key: str, base_url: str):
        self.http = http
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")

    def headers(self, session: BrokerSession | None) -> dict[str, str]:
        headers = {"X-Api-Key": self.api_key}
        if session is not None and session.auth_token:
            headers["Authorization"] = f"Bearer {session.auth_token}"
        return headers

    def call(self, method: str, path: str, session: BrokerSession | None = None, *, bucket: str = READS,
             params: Mapping[str, Any] | None = None, json: Any = None, form: Mapping[str, Any] | None = None) -> Any:
        """One call; its `data`, or a unified BrokerError."""
        response = self.http.request(method, self.base_url + path, bucket=bucket, params=params, json=json,
                                     data=form, headers=self.headers(session))
        return self._unwrap(response)

    @staticmethod
    def _unwrap(response: requests.Response) -> Any:
        try:
            body = response.json()
        except ValueError:
            raise BrokerUnavailable(f"template answered HTTP {response.status_code} with a body that is not JSON",
                                    broker="template", raw=response.text[:500]) from None
        if not isinstance(body, dict):
            raise BrokerUnavailable("template answered with an unexpected body", broker="template", raw=body)
        if response.status_code >= 400 or body.get("status") == "error":
            raise _error(response.status_code, body)
        return body.get("data")


def _error(status: int, body: Mapping[str, Any]) -> BrokerError:
    return ERROR_TABLE.error(code=str(body.get("code") or ""), message=str(body.get("message") or ""),
                             http_status=status, raw=dict(body))
