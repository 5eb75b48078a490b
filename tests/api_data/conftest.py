"""One real server per test module (`python app.py`), with a user, an API key and a paper session made
through the CLI, and the public `openalgo` client pointed at it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRETS
from tests.support.net import free_port, wait_for_http
from utils.config import PROJECT_ROOT


@dataclass
class Server:
    url: str
    apikey: str
    env: dict

    def client(self):  # noqa: ANN201
        from openalgo import api

        return api(api_key=self.apikey, host=self.url)


def _env(tmp_path: Path, port: int) -> dict:
    lines = [f"APP_KEY='{TEST_SECRETS['APP_KEY']}'", f"API_KEY_PEPPER='{TEST_SECRETS['API_KEY_PEPPER']}'",
             f"DATABASE_URL='sqlite:///{tmp_path}/srv.db'", f"LOGS_DATABASE_URL='sqlite:///{tmp_path}/logs.db'",
             f"LOG_DIR='{tmp_path}/log'", f"FLASK_PORT={port}", f"HOST_SERVER=http://127.0.0.1:{port}",
             "WEBSOCKET_PROXY_ENABLED=false", "API_RATE_LIMIT='100000 per second'"]
    path = tmp_path / "server.env"
    path.write_text("\n".join(lines) + "\n")
    env = {**os.environ, "OPENALGO_ENV_FILE": str(path), "NO_COLOR": "1", "FLASK_SKIP_DOTENV": "1"}
    for name in ("APP_KEY", "API_KEY_PEPPER", "DATABASE_URL", "FLASK_PORT"):
        env.pop(name, None)
    return env


def _cli(env: dict, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def start_server(tmp_path: Path) -> tuple[Server, subprocess.Popen]:
    port = free_port()
    env = _env(tmp_path, port)
    _cli(env, "user", "create", "--username", "trader", "--email", "trader@example.com",
         "--password", "Correct-Horse-Battery-9")
    apikey = _cli(env, "apikey", "create", "--username", "trader").strip().splitlines()[-1]
    _cli(env, "broker", "connect", "--username", "trader", "--broker", "paper")
    process = subprocess.Popen([sys.executable, "app.py"], cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    wait_for_http(f"{url}/health", timeout=60, process=process)
    return Server(url, apikey, env), process


def stop_server(process: subprocess.Popen) -> str:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        return process.communicate(timeout=20)[0]
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        return process.communicate()[0]


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory):
    running, process = start_server(tmp_path_factory.mktemp("api_data"))
    try:
        yield running
    finally:
        output = stop_server(process)
        assert "Traceback" not in output, output[-4000:]


@pytest.fixture(scope="package")
def client(server: Server):  # noqa: ANN201
    return server.client()
