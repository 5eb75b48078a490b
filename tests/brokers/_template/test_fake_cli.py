"""`python -m tests.brokers._template.fake --port N` runs the fake by hand, printing the settings that point
the plugin at it (the guide's step 4)."""
from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

from tests.support.net import free_port
from utils.config import PROJECT_ROOT


def _settings_printed(process: subprocess.Popen, timeout: float = 20) -> dict[str, str]:
    """NAME=value lines up to the login hint, read with a deadline (the fake then runs until stopped)."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    printed: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line.startswith("log in:"):
            break
        name, _, value = line.strip().partition("=")
        printed[name] = value
    return printed


def test_the_fake_runs_on_the_port_it_is_given():
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "tests.brokers._template.fake", "--port", str(port)],
                               cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        printed = _settings_printed(process)
        assert printed["TEMPLATE_API_URL"] == f"http://127.0.0.1:{port}"
        assert printed["TEMPLATE_WS_URL"] == f"ws://127.0.0.1:{port + 1}"
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/funds", timeout=5)
        except urllib.error.HTTPError as refused:   # no key: refused the way the broker refuses
            assert refused.code == 403 and json.loads(refused.read())["code"] == "INVALID_API_KEY"
        else:
            raise AssertionError("a call without the API key must be refused")
    finally:
        process.terminate()
        process.wait(10)
