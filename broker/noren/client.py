"""The one place a Noren OMS REST API is called (Shoonya, Flattrade): body encoding, answers, errors.

Noren API (public documentation): every call is `POST <base>/<Call>` with the body `jData=<json>` and,
once logged in, `&jKey=<session token>`; the JSON is sent as is (the official SDK does the same), with
trading symbols URL-encoded inside it as the documentation asks ("M&M"). Answers are JSON objects or
arrays; a refusal is `{"stat": "Not_Ok", "emsg": ...}` with HTTP 200, which leaves this module as a
unified error through the plugin's error table — "Session Expired" as TokenExpired, so the services
answer 403 "broker session expired". A book with nothing in it is answered with Not_Ok "no data": for
list calls that is an empty list. A body that is not JSON is the broker failing: BrokerUnavailable.
Nothing is retried here (BrokerHttp never retries a POST; 429 leaves as RateLimited).

Two ways to present the session (the broker's configuration picks one, `bearer`): the classic `&jKey=`
in the body (Flattrade's Pi API, Shoonya's QuickAuth sessions), or — Noren's OAuth API (`NorenWClientAPI`,
Shoonya today) — the body is `jData=<json>` alone and the access token travels in the header
`Authorization: Bearer <access_token>`.
"""
from __future__ import annotations

import json
from typing import Any, Mapping

from broker.contract import BrokerSession
from broker.errors import BrokerError, BrokerUnavailable, ErrorTable
from broker.http import BrokerHttp
from utils.logging import get_logger

ORDERS, READS, HISTORY = "orders", "quotes", "history"      # rate-limit buckets
_NO_DATA = "no data"


class NorenClient:
    def __init__(self, http: BrokerHttp, base_url: str, broker: str, errors: ErrorTable, *, bearer: bool = False):
        self.http = http
        self.bearer = bearer
        self.base_url = base_url.rstrip("/")
        self.broker = broker
        self.errors = errors
        self.log = get_logger(f"broker.{broker}")

    @staticmethod
    def body(values: Mapping[str, Any], token: str | None) -> str:
        return "jData=" + json.dumps(values) + (f"&jKey={token}" if token else "")

    def call(self, name: str, values: Mapping[str, Any], session: BrokerSession | None = None, *,
             bucket: str = READS, listing: bool = False) -> Any:
        """One call to `<base>/<name>`; its answer, [] for an empty book when `listing`, or a BrokerError.
        The user id (`uid`, and `actid` where the call takes it) comes from the session."""
        payload = dict(values)
        token = session.auth_token if session is not None else None
        if session is not None:
            payload.setdefault("uid", session.broker_user_id)
        headers = {"Authorization": f"Bearer {token}"} if self.bearer and token else {}
        response = self.http.request("POST", f"{self.base_url}/{name}", bucket=bucket, headers=headers,
                                     data=self.body(payload, None if self.bearer else token),
                                     account=session.broker_user_id if session else "")
        try:
            answer = response.json()
        except ValueError:
            raise BrokerUnavailable(f"{self.broker} answered HTTP {response.status_code} with a body that is not "
                                    "JSON", broker=self.broker, raw=response.text[:500]) from None
        if isinstance(answer, dict) and answer.get("stat") == "Not_Ok":
            message = str(answer.get("emsg") or "").strip()
            if listing and _NO_DATA in message.lower():
                return []
            raise self.error(name, response.status_code, message, answer)
        if response.status_code >= 400:
            raise self.error(name, response.status_code, "", answer)
        return answer

    def error(self, name: str, status: int, message: str, answer: Any) -> BrokerError:
        self.log.info("%s refused %s: HTTP %s %s", self.broker, name, status, message[:120])
        return self.errors.error(message=message or f"{self.broker} answered HTTP {status}",
                                 http_status=status if status >= 400 else None,
                                 raw=answer if isinstance(answer, (dict, list)) else None)

    def text(self, url: str) -> bytes:
        """A public file (the symbol masters): no session, the raw bytes."""
        response = self.http.request("GET", url, bucket=READS)
        if response.status_code >= 400:
            raise BrokerUnavailable(f"{self.broker} answered HTTP {response.status_code} for {url.rsplit('/', 1)[-1]}",
                                    broker=self.broker)
        return response.content
