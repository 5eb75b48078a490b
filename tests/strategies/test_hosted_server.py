"""Acceptance: on a real server (`python app.py`, paper broker) the Supertrend example uploaded as a
hosted Python strategy runs, trades through the API, shows its log, and stops on request."""
from __future__ import annotations

import re
import time

import pytest
import requests

from tests.api.server import PASSWORD, USERNAME, prepared_server
from utils.config import PROJECT_ROOT

pytestmark = pytest.mark.xdist_group("servers")
_TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"')


def _token(http: requests.Session, url: str) -> str:
    return _TOKEN.search(http.get(url, timeout=10).text).group(1)


def _until(condition, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    return condition()


def test_hosted_supertrend_runs_logs_and_stops(tmp_path):
    server = prepared_server(tmp_path, STRATEGY_DIR=str(tmp_path / "hosted"))
    server.start()
    try:
        http = requests.Session()
        base = server.host
        http.post(f"{base}/auth/login", data={"username": USERNAME, "password": PASSWORD,
                                              "csrf_token": _token(http, f"{base}/auth/login")}, timeout=10)
        made = http.post(f"{base}/strategy/new", timeout=10, allow_redirects=False, data={
            "csrf_token": _token(http, f"{base}/strategy"), "name": "Hosted Supertrend", "platform": "python",
            "mode": "LONG", "start_time": "09:15", "end_time": "15:00", "squareoff_time": "15:15",
            "default_quantity": "1", "default_product": "MIS"})
        page = made.headers["Location"]
        page = page if page.startswith("http") else base + page
        code = (PROJECT_ROOT / "strategies" / "supertrend.py").read_bytes()
        saved = http.post(f"{page}/script", timeout=10, allow_redirects=False, data={
            "csrf_token": _token(http, page), "code": "", "run_days": "mon,tue,wed,thu,fri,sat,sun",
            "run_start": "00:00", "run_stop": "23:59", "cpu_seconds": "600", "memory_mb": "1024", "env": ""},
            files={"upload": ("supertrend.py", code, "text/x-python")})
        assert saved.status_code == 302, saved.text[-2000:]
        http.post(f"{page}/script/start", data={"csrf_token": _token(http, page)}, timeout=30)

        def log() -> dict:
            return http.get(f"{page}/script/log", timeout=10).json()
        assert _until(lambda: "placesmartorder position_size=" in log()["log"]), log()
        assert log()["run"]["state"] == "running"
        assert "Supertrend: NSE:SBIN 1m" in log()["log"]

        http.post(f"{page}/script/stop", data={"csrf_token": _token(http, page)}, timeout=30)
        assert _until(lambda: log()["run"]["state"] == "stopped", timeout=20), log()
        assert "stopped: stopped by the user" in log()["log"]
    finally:
        output = server.stop()
    assert "Traceback" not in output, output[-3000:]
