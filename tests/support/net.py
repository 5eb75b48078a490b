"""Ports and HTTP waiting for tests that start real servers."""
from __future__ import annotations

import socket
import time

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
