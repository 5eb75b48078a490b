"""The one place Angel One's SmartAPI REST endpoints are called: headers, rate budgets, envelope, errors.

Every call carries the documented headers (SmartAPI docs, "Introduction"): `X-PrivateKey` (the app's
API key), `X-UserType: USER`, `X-SourceID: WEB`, `X-ClientLocalIP`, `X-ClientPublicIP`, `X-MACAddress`,
`Accept` / `Content-Type: application/json`, and `Authorization: Bearer <jwt>` on the secure endpoints.
Bodies are JSON; answers are `{"status", "message", "errorcode", "data"}` (the API gateway's own token
refusal spells it `{"success", "message", "errorCode", "data"}`). Errors leave this module as the
unified tree through the plugin's error table: AG8001/AG8002 become TokenExpired ("broker session
expired"); the throttle, an HTTP 403 whose plain-text body says "exceeding access rate", becomes
RateLimited. Retrying is never done here (broker/http.py retries safe calls only; orders never).
"""
from __future__ import annotations

import socket
import uuid
from typing import Any

import requests

from broker.angel.mapping import ERROR_TABLE
from broker.contract import BrokerSession
from broker.errors import BrokerError, BrokerUnavailable, RateLimited
from broker.http import BrokerHttp
from utils.logging import get_logger

log = get_logger("broker.angel")

API_URL = "https://apiconnect.angelone.in"
SECURE = "/rest/secure/angelbroking"
AUTH = "/rest/auth/angelbroking"
# SmartAPI's documented per-endpoint limits (docs, "Rate Limits"): placeOrder / modifyOrder / cancelOrder 20
# a second, quote and getLtpData 10, order details 10, getCandleData 3, getRMS 2, getOrderBook /
# getTradeBook / getPosition / getHolding 1, loginByPassword 1. The contract's three buckets carry the
# families (orders; quotes, which also covers books and funds; history); the endpoints Angel caps lower
# than their bucket also take a slot of their own limit, so they wait instead of meeting the throttle.
RATE_LIMITS = {"orders": "20/second", "quotes": "10/second", "history": "3/second"}
ENDPOINT_LIMITS = {
    f"{SECURE}/order/v1/getOrderBook": "1/second", f"{SECURE}/order/v1/getTradeBook": "1/second",
    f"{SECURE}/order/v1/getPosition": "1/second", f"{SECURE}/portfolio/v1/getHolding": "1/second",
    f"{SECURE}/user/v1/getRMS": "2/second", f"{AUTH}/user/v1/loginByPassword": "1/second",
}
_THROTTLE_TEXT = "exceeding access rate"


def local_ip() -> str:
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"


def mac_address() -> str:
    node = uuid.getnode()
    return ":".join(f"{(node >> shift) & 0xFF:02x}" for shift in range(40, -1, -8))


class SmartApiClient:
    """Thin REST caller on the app's BrokerHttp (pooled session, timeouts, safe retries, rate budgets).
    `base_url` is a setting (ANGEL_API_URL) so tests point it at the fake server."""

    def __init__(self, http: BrokerHttp, api_key: str, base_url: str = API_URL, public_ip: str = ""):
        self.http = http
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        local = local_ip()
        # Angel matches X-ClientPublicIP against the static IP registered for the app (SEBI rule for
        # API orders); ANGEL_CLIENT_PUBLIC_IP sets it, the machine's address is the fallback
        self._fixed = {"Accept": "application/json", "Content-Type": "application/json", "X-UserType": "USER",
                       "X-SourceID": "WEB", "X-ClientLocalIP": local, "X-ClientPublicIP": public_ip or local,
                       "X-MACAddress": mac_address(), "X-PrivateKey": api_key}

    def headers(self, jwt: str | None) -> dict[str, str]:
        headers = dict(self._fixed)
        if jwt:
            headers["Authorization"] = f"Bearer {jwt}"
        return headers

    def call(self, method: str, path: str, session: BrokerSession | None = None, *, bucket: str = "quotes",
             body: dict[str, Any] | None = None) -> Any:
        """Perform one call and return its `data`; raises a unified BrokerError on any failure."""
        account = session.broker_user_id if session else ""
        limit = ENDPOINT_LIMITS.get(path)
        if limit and self.http.rate_limiter is not None:
            self.http.rate_limiter.acquire_limit(path.rsplit("/", 1)[-1], limit, account)
        response = self.http.request(method, self.base_url + path, bucket=bucket, account=account,
                                     json=body if method == "POST" else None,
                                     headers=self.headers(session.auth_token if session else None))
        try:
            answer = response.json()
        except ValueError:
            raise self._unreadable(response) from None
        if not isinstance(answer, dict) or response.status_code >= 400 or not _succeeded(answer):
            raise self._error(response, answer if isinstance(answer, dict) else {})
        return answer.get("data")

    @staticmethod
    def _unreadable(response: requests.Response) -> BrokerError:
        text = response.text[:200]
        if _THROTTLE_TEXT in text.lower():
            return RateLimited("Angel One is throttling requests (exceeding access rate)", broker="angel",
                               raw=text)
        return BrokerUnavailable(f"Angel One answered HTTP {response.status_code} with a body that is not JSON",
                                 broker="angel", raw=text)

    @staticmethod
    def _error(response: requests.Response, answer: dict[str, Any]) -> BrokerError:
        code = str(answer.get("errorcode") or answer.get("errorCode") or "")
        message = str(answer.get("message") or f"Angel One answered HTTP {response.status_code}")
        log.info("Angel One refused %s %s: HTTP %s %s", response.request.method,
                 response.request.path_url.split("?")[0], response.status_code, code or message)
        return ERROR_TABLE.error(code=code, message=message, http_status=response.status_code, raw=dict(answer))


def _succeeded(answer: dict[str, Any]) -> bool:
    """`status: true` (the gateway's refusals say `success: false`; SmartAPI samples also send "false")."""
    status = answer.get("status", answer.get("success"))
    return status is True or str(status).lower() == "true"
