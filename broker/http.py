"""The one HTTP client set-up every broker plugin uses.

`make_session` gives a requests.Session with pooled keep-alive connections and urllib3 retries that
only repeat what is safe: a connection that never reached the broker (any method), and idempotent
requests (GET) that met 502/503/504 or a 429 with Retry-After, with exponential back-off. An order POST
whose response was lost is never re-sent (it may have been placed; the service checks the order book).

`BrokerHttp` wraps one session for one broker: default timeouts, the rate-limit bucket taken before
each call, and transport failures translated once into the unified error tree (NetworkError,
RateLimited, BrokerUnavailable). Plugins translate the broker's *business* errors with their ErrorTable.
"""
from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from broker.errors import BrokerUnavailable, NetworkError, RateLimited
from broker.rate_limit import RateLimiter

DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 10.0
DEFAULT_RETRIES = 2
POOL_SIZE = 20
RETRY_STATUSES = (429, 502, 503, 504)
USER_AGENT = "openalgo-server"


def make_session(*, retries: int = DEFAULT_RETRIES, pool_size: int = POOL_SIZE,
                 backoff: float = 0.3) -> requests.Session:
    retry = Retry(total=retries, connect=retries, read=retries, status=retries, other=0,
                  allowed_methods=Retry.DEFAULT_ALLOWED_METHODS,  # idempotent only: never POST
                  status_forcelist=RETRY_STATUSES, backoff_factor=backoff,
                  respect_retry_after_header=True, raise_on_status=False)
    adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=retry)
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


class BrokerHttp:
    """HTTP calls to one broker: `request("GET", url, bucket="quotes", ...) -> requests.Response`."""

    def __init__(self, broker: str, *, session: requests.Session | None = None,
                 rate_limiter: RateLimiter | None = None,
                 timeout: tuple[float, float] = (DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT)):
        self.broker = broker
        self.session = session or make_session()
        self.rate_limiter = rate_limiter
        self.timeout = timeout

    def request(self, method: str, url: str, *, bucket: str = "quotes", account: str = "",
                **kwargs: Any) -> requests.Response:
        """Send one request; 4xx answers other than 429 are returned for the plugin's ErrorTable."""
        if self.rate_limiter is not None:
            self.rate_limiter.acquire(bucket, account)
        kwargs.setdefault("timeout", self.timeout)
        try:
            response = self.session.request(method, url, **kwargs)
        except requests.Timeout:
            raise NetworkError(f"{self.broker} did not answer in time", broker=self.broker) from None
        except requests.ConnectionError:
            raise NetworkError(f"cannot reach {self.broker}", broker=self.broker) from None
        except requests.RequestException as exc:
            raise NetworkError(f"request to {self.broker} failed: {type(exc).__name__}",
                               broker=self.broker) from None
        if response.status_code == 429:
            raise RateLimited(f"{self.broker} is throttling requests", broker=self.broker,
                              retry_after=_retry_after(response), raw=_body(response))
        if response.status_code in (502, 503, 504):
            raise BrokerUnavailable(f"{self.broker} is unavailable (HTTP {response.status_code})",
                                    broker=self.broker, raw=_body(response))
        return response

    def close(self) -> None:
        self.session.close()


def _retry_after(response: requests.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


def _body(response: requests.Response) -> str:
    return response.text[:2000]
