"""The server as a user starts it: `python app.py`, `gunicorn 'app:create_app()'` and `./start.sh`."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.conftest import TEST_SECRETS
from tests.support.net import free_port, wait_for_http
from utils.config import PROJECT_ROOT

pytestmark = pytest.mark.xdist_group("servers")  # one at a time: each starts real processes


def _env_file(tmp_path: Path, port: int, **extra: str) -> Path:
    lines = [f"APP_KEY='{TEST_SECRETS['APP_KEY']}'", f"API_KEY_PEPPER='{TEST_SECRETS['API_KEY_PEPPER']}'",
             f"DATABASE_URL='sqlite:///{tmp_path}/srv.db'", f"LOGS_DATABASE_URL='sqlite:///{tmp_path}/logs.db'",
             f"FLASK_PORT={port}", f"HOST_SERVER=http://127.0.0.1:{port}", "WEBSOCKET_PROXY_ENABLED=false"]
    lines += [f"{key}={value}" for key, value in extra.items()]
    path = tmp_path / "server.env"
    path.write_text("\n".join(lines) + "\n")
    return path


def _start(args: list[str], env_file: Path) -> subprocess.Popen:
    env = {**os.environ, "OPENALGO_ENV_FILE": str(env_file), "NO_COLOR": "1", "FLASK_SKIP_DOTENV": "1"}
    for name in ("APP_KEY", "API_KEY_PEPPER", "DATABASE_URL", "FLASK_PORT"):
        env.pop(name, None)
    return subprocess.Popen(args, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)


def _stop(process: subprocess.Popen) -> str:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
    return output


def test_python_app_serves_with_production_server_and_prints_banner(tmp_path: Path):
    port = free_port()
    process = _start([sys.executable, "app.py"], _env_file(tmp_path, port))
    try:
        health = wait_for_http(f"http://127.0.0.1:{port}/health", process=process)
        assert health.status_code == 200 and health.json()["database"]["status"] == "up"
        assert "waitress" in health.headers.get("Server", "").lower() or "openalgo" in health.headers.get("Server", "").lower()
        big = requests.post(f"http://127.0.0.1:{port}/api/v1/placeorder", data=b"x" * 2_000_000,
                            headers={"Content-Type": "application/json"}, timeout=10)
        assert big.status_code == 413 and big.json()["status"] == "error"
        missing = requests.post(f"http://127.0.0.1:{port}/api/v1/nonexistent", json={}, timeout=5)
        assert missing.status_code == 404 and missing.json()["message"] == "Not found"
    finally:
        output = _stop(process)
    assert process.returncode == 0, output
    for url in (f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}/api/docs", "ws://127.0.0.1:8765"):
        assert url in output
    assert "Werkzeug" not in output and "Debug mode" not in output


def test_port_in_use_is_a_clear_error(tmp_path: Path):
    import socket

    busy = socket.create_server(("127.0.0.1", 0))
    port = busy.getsockname()[1]
    try:
        process = _start([sys.executable, "app.py"], _env_file(tmp_path, port))
        output = process.communicate(timeout=60)[0]
    finally:
        busy.close()
    assert process.returncode == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in output and "Traceback" not in output


def test_gunicorn_serves_the_factory(tmp_path: Path):
    port = free_port()
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    process = _start([gunicorn, "--bind", f"127.0.0.1:{port}", "--workers", "2", "app:create_app()"],
                     _env_file(tmp_path, port))
    try:
        assert wait_for_http(f"http://127.0.0.1:{port}/health", process=process).status_code == 200
    finally:
        output = _stop(process)
    assert "Traceback" not in output, output


def test_start_script_brings_the_server_up_and_is_quick_the_second_time(tmp_path: Path):
    """The README's first command. The second run must not reinstall anything."""
    outputs = []
    for _ in range(2):
        port = free_port()
        process = _start(["./start.sh"], _env_file(tmp_path, port))
        try:
            assert wait_for_http(f"http://127.0.0.1:{port}/health", timeout=300, process=process).status_code == 200
        finally:
            outputs.append(_stop(process))
    assert "Installing" not in outputs[1], outputs[1]
