"""The order-event benchmark runs (its quick mode): every floor event and every order's event arrives."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from utils.config import PROJECT_ROOT

pytestmark = pytest.mark.xdist_group("servers")


def test_quick_run_delivers_every_event():
    done = subprocess.run([sys.executable, "bench/order_events_bench.py", "--quick"], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    rows = re.findall(r"^(floor: bus.*|floor, during.*|ack -> client.*)$", done.stdout, re.MULTILINE)
    assert len(rows) == 3, done.stdout
    for row in rows:
        sent, received = re.findall(r"\s(\d+)\s+(\d+)\s", row)[0]
        assert sent == received and int(sent) > 0, row
    assert "REST orders refused: 0" in done.stdout
