"""A real server for the API tests: `python app.py` with a user, an API key and a paper session made by
the CLI, exactly as a user sets it up."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.foundation.test_server import _env_file, _start, _stop
from tests.support.net import free_port, wait_for_http, wait_for_port
from utils.config import PROJECT_ROOT

USERNAME, PASSWORD = "scripter", "correct-horse-42"


@dataclass
class Server:
    env_file: Path
    port: int
    key: str
    process: subprocess.Popen | None = None

    @property
    def host(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_port(self) -> int | None:
        """The WebSocket proxy's port when the env file enables it (WEBSOCKET_PORT), else None."""
        settings = dict(line.split("=", 1) for line in self.env_file.read_text().splitlines() if "=" in line)
        if settings.get("WEBSOCKET_PROXY_ENABLED", "").strip("'").lower() != "true":
            return None
        return int(settings["WEBSOCKET_PORT"].strip("'"))

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.ws_port}"

    def start(self) -> None:
        self.process = _start([sys.executable, "app.py"], self.env_file)
        wait_for_http(f"{self.host}/health", process=self.process)
        if self.ws_port:
            wait_for_port(self.ws_port)

    def stop(self) -> str:
        return _stop(self.process) if self.process else ""

    def add_user(self, username: str, broker: str = "paper") -> str:
        """Another user with an API key and a broker session, as an admin sets one up; returns the key."""
        flask_cli(self.env_file, "user", "create", "--username", username, "--email", f"{username}@example.com",
                  "--password", PASSWORD, "--force")
        key = flask_cli(self.env_file, "apikey", "create", "--username", username).splitlines()[-1].strip()
        flask_cli(self.env_file, "broker", "connect", "--username", username, "--broker", broker)
        return key


def flask_cli(env_file: Path, *args: str) -> str:
    env = {**os.environ, "OPENALGO_ENV_FILE": str(env_file), "FLASK_SKIP_DOTENV": "1", "NO_COLOR": "1"}
    for name in ("APP_KEY", "API_KEY_PEPPER", "DATABASE_URL", "FLASK_PORT"):
        env.pop(name, None)
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip()


def prepared_server(tmp_path: Path, **settings: str) -> Server:
    port = free_port()
    env_file = _env_file(tmp_path, port, ORDER_RATE_LIMIT="'10000 per second'", API_RATE_LIMIT="'10000 per second'",
                         **settings)
    flask_cli(env_file, "user", "create", "--username", USERNAME, "--email", "s@example.com",
              "--password", PASSWORD)
    key = flask_cli(env_file, "apikey", "create", "--username", USERNAME).splitlines()[-1].strip()
    flask_cli(env_file, "broker", "connect", "--username", USERNAME, "--broker", "paper")
    return Server(env_file, port, key)
