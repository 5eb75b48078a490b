"""The fan-out benchmark still runs (tiny parameters; the real run is `python bench/ws_bench.py`)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from utils.config import PROJECT_ROOT

pytestmark = pytest.mark.xdist_group("servers")


def test_ws_bench_quick_run_prints_both_servers_without_loss():
    run = subprocess.run([sys.executable, "bench/ws_bench.py", "--quick"], cwd=PROJECT_ROOT, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    rows = [line for line in run.stdout.splitlines() if "200/s" in line]
    assert [row.split()[6] for row in rows] == ["floor", "proxy"]
    assert all(row.split()[9] == "0.00%" for row in rows), run.stdout
