"""A script that starts `python app.py` and opens the WebSocket as soon as the server says it is ready —
by the banner or by /health answering 200 — is never refused."""
from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from websockets.sync.client import connect

from tests.foundation.test_server import _env_file, _start, _stop
from tests.support.net import free_port

pytestmark = pytest.mark.xdist_group("servers")

DEADLINE_SECONDS = 90.0
BANNER = "OpenAlgo is running"


def _open_websocket(ws_port: int) -> None:
    """A full WebSocket handshake; a refused connection raises."""
    with connect(f"ws://127.0.0.1:{ws_port}", open_timeout=10, close_timeout=2):
        pass


def _on_banner(app, ws_port: int, seen: dict) -> None:  # noqa: ANN001
    """Read the server's output; at the banner, connect at once (the script a user writes)."""
    lines = []
    for line in app.stdout:
        lines.append(line)
        if BANNER in line and "banner" not in seen:
            seen["banner"] = time.monotonic()
            try:
                _open_websocket(ws_port)
                seen["websocket"] = "open"
            except Exception as exc:  # noqa: BLE001 — refused, reset, bad handshake: all are failures
                seen["websocket"] = f"{type(exc).__name__}: {exc}"
    seen["output"] = "".join(lines)


def test_websocket_is_accepted_the_moment_the_banner_or_health_says_ready(tmp_path: Path):
    port, ws_port = free_port(), free_port()
    env = _env_file(tmp_path, port, WEBSOCKET_PROXY_ENABLED="true", WEBSOCKET_PORT=str(ws_port),
                    ZMQ_PORT=str(free_port()))
    started = time.monotonic()
    app = _start([sys.executable, "app.py"], env)
    seen: dict = {}
    reader = threading.Thread(target=_on_banner, args=(app, ws_port, seen), daemon=True)
    reader.start()
    answers: list[tuple[int, str]] = []
    failure: BaseException | None = None
    try:
        while True:   # the script polls /health as fast as it can and connects on the first 200
            assert time.monotonic() - started < DEADLINE_SECONDS, f"not ready in {DEADLINE_SECONDS} s: {answers[-3:]}"
            assert app.poll() is None, "the server exited"
            try:
                health = requests.get(f"http://127.0.0.1:{port}/health", timeout=5)
            except requests.ConnectionError:   # the app itself is not listening yet
                time.sleep(0.005)
                continue
            answers.append((health.status_code, health.json()["status"]))
            if health.status_code == 200:
                _open_websocket(ws_port)
                break
        assert all(answer == (503, "starting") for answer in answers[:-1]), answers
        assert health.json()["websocket_proxy"]["status"] == "up"
        assert health.json()["scheduler"] == {"status": "running"}
        banner_by = started + DEADLINE_SECONDS
        while "websocket" not in seen and time.monotonic() < banner_by:
            time.sleep(0.05)
        assert "banner" in seen, "no banner"
        assert seen.get("websocket") == "open", seen.get("websocket")
    except BaseException as exc:  # noqa: BLE001 — re-raised below with what the server printed
        failure = exc
    finally:
        _stop(app)
        reader.join(10)
    if failure is not None:
        raise AssertionError(f"{failure}\n--- app output ---\n{seen.get('output', '')}") from failure
