"""Ports and HTTP waiting for tests that start real servers."""
from __future__ import annotations

import os
import random
import socket
import time

import requests

# Ports handed to servers that tests start are taken below Linux's ephemeral range (32768-60999), so a
# client connection elsewhere in the suite cannot grab one between free_port() and the server's bind;
# each xdist worker draws from its own slice, and a port is never handed out twice by one process.
_LOW, _HIGH = 20000, 32000
_handed_out: set[int] = set()


def _worker_slice() -> range:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker[2:].isdigit() else 0
    count = max(int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")), 1)
    size = (_HIGH - _LOW) // count
    start = _LOW + (index % count) * size
    return range(start, start + size)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on, for a server the test is about to start."""
    candidates = _worker_slice()
    for _ in range(200):
        port = random.choice(candidates)
        if port in _handed_out:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port in {candidates}")


def wait_for_http(url: str, timeout: float = 30.0, process=None) -> requests.Response:  # noqa: ANN001
    """Poll `url` until it answers; fail early if `process` exits first."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode} before answering {url}")
        try:
            return requests.get(url, timeout=5)
        except (requests.ConnectionError, requests.Timeout) as exc:  # still booting
            last_error = exc
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {timeout} s: {last_error}")


def wait_for_port(port: int, timeout: float = 30.0, host: str = "127.0.0.1") -> None:
    """Until something accepts TCP connections on `port` (e.g. the WebSocket proxy the app starts)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on {host}:{port} after {timeout:g} s") from None
            time.sleep(0.1)
