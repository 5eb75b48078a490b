"""The one place DhanHQ v2's REST API is called: headers, rate budgets, answers and errors.

Every call carries `access-token` and `client-id` headers and a JSON body (DhanHQ v2 docs,
"Introduction"). Answers are the bare JSON object or array — only the market-quote endpoints wrap
theirs in `{"data": ..., "status": "success"}`; the official SDK's `{"status", "remarks", "data"}` is
built by the SDK, never sent. Errors arrive as `{"errorType", "errorCode": "DH-9xx", "errorMessage"}`
(trading APIs) or `{"status": "failed", "data": {"8xx": "message"}}` (data APIs) and leave this module as
the unified tree through the plugin's error table; DH-901 / 807-809 become TokenExpired, which the
services turn into "broker session expired". Nothing is retried here: BrokerHttp retries only what
is safe (never an order POST), and a 429 leaves as RateLimited with Retry-After.
"""
from __future__ import annotations

from typing import Any, Mapping

import requests

from broker.contract import BrokerSession
from broker.errors import BrokerError
from broker.http import BrokerHttp
from broker.dhan.mapping import error_class
from utils.logging import get_logger

log = get_logger("broker.dhan")

API_URL = "https://api.dhan.co/v2"
SCRIP_MASTER_URL = "https://images.dhan.co/api-data/api-scrip-master.csv"
# DhanHQ v2 rate limits (docs, "Rate Limit"): Order APIs 25/s, 250/min, 1000/h, 7000/day; Data APIs
# (charts) 5/s; Quote APIs 1/s; Non-trading APIs (books, positions, funds, margin) 20/s. The "orders"
# bucket carries the 25/s every order or read call shares; order writes also take the per-minute, hour
# and day budgets of their family, reads the 20/s of theirs, so Dhan never answers 429 (or blocks).
RATE_LIMITS = {"orders": "25/second", "quotes": "1/second", "history": "5/second"}
READS = "orders"
ORDER_API_LIMITS = ("250/minute", "1000/hour", "7000/day")
NON_TRADING_LIMIT = "20/second"
_ORDER_PATHS = ("/orders", "/forever")


class DhanClient:
    """Thin REST caller on the app's BrokerHttp. `base_url` is a setting (DHAN_API_URL) so tests point
    the plugin at the fake server; the client id comes from the user's session (it is theirs)."""

    def __init__(self, http: BrokerHttp, base_url: str = API_URL, scrip_master_url: str = SCRIP_MASTER_URL):
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.scrip_master_url = scrip_master_url

    @staticmethod
    def headers(session: BrokerSession | None) -> dict[str, str]:
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if session is not None:
            headers["access-token"] = session.auth_token
            headers["client-id"] = session.broker_user_id
        return headers

    def call(self, method: str, path: str, session: BrokerSession | None, *, bucket: str = READS,
             json: Any = None, headers: Mapping[str, str] | None = None) -> Any:
        """Perform one call and return its JSON answer; raises a unified BrokerError on any failure."""
        account = session.broker_user_id if session else ""
        self._take_family_limits(method, path, bucket, account)
        response = self.http.request(method, self.base_url + path, bucket=bucket, json=json,
                                     headers={**self.headers(session), **(headers or {})}, account=account)
        if not response.content.strip() and response.status_code < 400:
            return None
        try:
            body = response.json()
        except ValueError:
            raise error_class(response.status_code, "DH-908")(
                f"Dhan answered HTTP {response.status_code} with a body that is not JSON", broker="dhan") from None
        code, message = error_of(body)
        if response.status_code >= 400 or code:
            raise self._error(response, code, message, body)
        return body

    def _take_family_limits(self, method: str, path: str, bucket: str, account: str) -> None:
        limiter = self.http.rate_limiter
        if limiter is None or bucket != READS:
            return
        if method != "GET" and path.startswith(_ORDER_PATHS):
            for limit in ORDER_API_LIMITS:
                limiter.acquire_limit("order_api", limit, account)
        else:
            limiter.acquire_limit("non_trading", NON_TRADING_LIMIT, account)

    def text(self, url: str) -> str:
        """A public CSV file (the scrip master): no session headers."""
        response = self.http.request("GET", url, bucket=READS)
        if response.status_code >= 400:
            raise self._error(response, "", f"Dhan answered HTTP {response.status_code} for the scrip master", {})
        return response.text

    @staticmethod
    def _error(response: requests.Response, code: str, message: str, body: Any) -> BrokerError:
        message = message or f"Dhan answered HTTP {response.status_code}"
        log.info("Dhan refused %s %s: %s %s", response.request.method,
                 response.request.path_url.split("?")[0], response.status_code, code)
        return error_class(response.status_code, code, message)(
            message, broker="dhan", code=code, raw=body if isinstance(body, (dict, list)) else None)


def error_of(body: Any) -> tuple[str, str]:
    """(code, message) of an error answer in either documented shape; ("", "") for a normal answer."""
    if not isinstance(body, dict):
        return "", ""
    if body.get("errorCode") or body.get("errorType"):
        return str(body.get("errorCode") or ""), str(body.get("errorMessage") or body.get("errorType") or "")
    if str(body.get("status", "")).lower() in ("failed", "failure", "error"):
        data = body.get("data")
        if isinstance(data, dict) and data:
            code, message = next(iter(data.items()))
            return str(code), str(message)
        return "DH-910", str(body.get("remarks") or "Dhan reported a failure")
    return "", ""
