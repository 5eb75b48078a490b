"""The broker HTTP client: pooled session, timeouts, retries only where safe, errors in the unified tree.

A local HTTP server plays the broker (the network boundary)."""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest

from broker.errors import BrokerUnavailable, NetworkError, RateLimited
from broker.http import BrokerHttp, make_session
from broker.rate_limit import RateLimiter
from tests.support.net import free_port


class FakeBrokerServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int):
        super().__init__(("127.0.0.1", port), _Handler)
        self.hits: dict[str, int] = {}
        self.failures_before_success = 2


class _Handler(BaseHTTPRequestHandler):
    server: FakeBrokerServer

    def log_message(self, *args) -> None:  # noqa: ANN002
        pass

    def _answer(self, status: int, body: bytes = b'{"status":"ok"}', headers: dict | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _route(self) -> None:
        hits = self.server.hits[self.path] = self.server.hits.get(self.path, 0) + 1
        if self.path == "/flaky":
            self._answer(503 if hits <= self.server.failures_before_success else 200)
        elif self.path == "/down":
            self._answer(503, b"maintenance")
        elif self.path == "/throttle":
            self._answer(429, b"too many", {"Retry-After": "0"})
        elif self.path == "/slow":
            time.sleep(1.0)
            self._answer(200)
        elif self.path == "/rejected":
            self._answer(400, b'{"status":"error","message":"bad lot"}')
        else:
            self._answer(200)

    def do_GET(self) -> None:  # noqa: N802
        self._route()

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._route()


@pytest.fixture
def server() -> Iterator[FakeBrokerServer]:
    srv = FakeBrokerServer(free_port())
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _client(**kwargs) -> BrokerHttp:  # noqa: ANN003
    return BrokerHttp("demo", session=make_session(retries=2, backoff=0), timeout=(1.0, 0.3), **kwargs)


def _url(server: FakeBrokerServer, path: str) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def test_idempotent_request_is_retried_through_transient_failures(server):
    assert _client().request("GET", _url(server, "/flaky")).status_code == 200
    assert server.hits["/flaky"] == 3


def test_order_post_is_never_resent(server):
    with pytest.raises(BrokerUnavailable, match="HTTP 503"):
        _client().request("POST", _url(server, "/flaky"), bucket="orders", json={"qty": 1})
    assert server.hits["/flaky"] == 1


def test_retries_exhausted_map_to_unified_errors(server):
    with pytest.raises(BrokerUnavailable):
        _client().request("GET", _url(server, "/down"))
    assert server.hits["/down"] == 3
    with pytest.raises(RateLimited) as raised:
        _client().request("GET", _url(server, "/throttle"))
    assert raised.value.retry_after == 0


def test_timeouts_and_refused_connections_are_network_errors(server):
    with pytest.raises(NetworkError, match="did not answer in time"):
        _client().request("POST", _url(server, "/slow"), bucket="orders")
    with pytest.raises(NetworkError, match="cannot reach"):
        _client().request("GET", f"http://127.0.0.1:{free_port()}/")


def test_business_errors_are_left_to_the_plugin(server):
    response = _client().request("POST", _url(server, "/rejected"), bucket="orders")
    assert response.status_code == 400 and response.json()["message"] == "bad lot"


def test_each_call_takes_a_rate_limit_slot(server):
    limiter = RateLimiter("demo", {"orders": "2/second"})
    client = _client(rate_limiter=limiter)
    started = time.monotonic()
    for _ in range(3):
        client.request("POST", _url(server, "/ok"), bucket="orders")
    assert time.monotonic() - started >= 0.9


def test_connections_are_pooled_and_reused(server):
    client = _client()
    for _ in range(5):
        client.request("GET", _url(server, "/ok"))
    pool = client.session.get_adapter("http://").poolmanager
    assert len(pool.pools) == 1
