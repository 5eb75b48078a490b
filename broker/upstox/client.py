"""The one place the Upstox Developer API is called: hosts, headers, rate budgets, answers and errors.

Every call carries `Authorization: Bearer <access_token>` and `Accept: application/json`; bodies are JSON
except the token exchange (a form). Orders go to the order host (`api-hft.upstox.com`, docs "Place Order
V3"), everything else to `api.upstox.com`. Answers are `{"status": "success", "data": ...}`; errors
`{"status": "error", "errors": [{"error_code": "UDAPI...", "message": ...}]}` and leave this module as
the unified tree through the plugin's error table (mapping.py): UDAPI100050 becomes TokenExpired, which
the services turn into "broker session expired". A 429 becomes RateLimited at once: nothing here retries
in a loop; the app's HTTP session retries only safe calls, never an order. After a 429 the call family
(bucket) cools down for `retry_after` seconds: calls in it meanwhile fail fast with RateLimited instead
of adding to the storm (Upstox warns that exceeding its limits may suspend access).
"""
from __future__ import annotations

import time
from typing import Any, Mapping

import requests

from broker.contract import BrokerSession
from broker.errors import BrokerError, RateLimited
from broker.http import BrokerHttp
from broker.upstox.mapping import BROKER, error_class, first_error
from utils.logging import get_logger

log = get_logger("broker.upstox")

API_URL = "https://api.upstox.com"
ORDER_URL = "https://api-hft.upstox.com"
# Upstox's documented limits (docs, "Rate Limiting"), per user and API: order placement, modification
# and cancellation 10/second (500/minute, 2000/30 minutes) for unregistered algos; every other standard
# API 50/second (500/minute, 2000/30 minutes). The "quotes" bucket carries books, funds and quotes.
RATE_LIMITS = {"orders": "10/second", "quotes": "50/second", "history": "50/second"}
READS = "quotes"
COOL_DOWN_SECONDS = 1.0        # Upstox sends no Retry-After


class UpstoxClient:
    """Thin REST caller on the app's BrokerHttp (pooled session, timeouts, safe retries, rate budgets).
    The hosts are plugin settings so tests point it at the fake server."""

    def __init__(self, http: BrokerHttp, *, api_url: str = API_URL, order_url: str = ORDER_URL):
        self.http = http
        self.api_url = api_url.rstrip("/")
        self.order_url = order_url.rstrip("/")
        self._cool_until: dict[str, float] = {}     # bucket → monotonic time its 429 cool-down ends

    @staticmethod
    def headers(session: BrokerSession | None) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if session is not None and session.auth_token:
            headers["Authorization"] = f"Bearer {session.auth_token}"
        return headers

    def call(self, method: str, path: str, session: BrokerSession | None = None, *, bucket: str = READS,
             params: Any = None, json: Any = None, form: Mapping[str, Any] | None = None,
             order_host: bool = False) -> Any:
        """Perform one call and return its `data` (the whole body when there is none); raises a unified
        BrokerError on any failure."""
        url = (self.order_url if order_host else self.api_url) + path
        waiting = self._cool_until.get(bucket, 0.0) - time.monotonic()
        if waiting > 0:
            raise RateLimited("Upstox throttled this kind of request a moment ago (UDAPI10005); try again shortly",
                              broker=BROKER, code="UDAPI10005", retry_after=waiting)
        try:
            response = self.http.request(method, url, bucket=bucket, params=params, json=json, data=form,
                                         headers=self.headers(session))
        except RateLimited as exc:     # its body names UDAPI10005
            pause = exc.retry_after or COOL_DOWN_SECONDS
            self._cool_until[bucket] = time.monotonic() + pause
            raise RateLimited("Upstox is throttling requests (UDAPI10005); slow down and try again",
                              broker=BROKER, code="UDAPI10005", retry_after=pause, raw=exc.raw) from None
        body = self._json(response)
        if response.status_code >= 400 or body.get("status") == "error":
            raise self._error(response, body)
        return body["data"] if "data" in body else body

    def content(self, url: str) -> bytes:
        """A file download (the instrument master): no session, raw bytes."""
        response = self.http.request("GET", url, bucket=READS, headers={"Accept": "*/*"})
        if response.status_code >= 400:
            raise self._error(response, {})
        return response.content

    @staticmethod
    def _json(response: requests.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise error_class(response.status_code if response.status_code >= 400 else 502, "")(
                f"Upstox answered HTTP {response.status_code} with a body that is not its JSON", broker=BROKER)
        return body

    @staticmethod
    def _error(response: requests.Response, body: Mapping[str, Any]) -> BrokerError:
        code, message = first_error(body)
        message = message or f"Upstox answered HTTP {response.status_code}"
        log.info("Upstox refused %s %s: %s %s", response.request.method,
                 response.request.path_url.split("?")[0], response.status_code, code)
        kind = error_class(response.status_code, code, message)
        return kind(message, broker=BROKER, code=code, raw=dict(body))
