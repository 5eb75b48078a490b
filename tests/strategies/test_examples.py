"""The example strategies: their signals on known series, and the EMA crossover run with its one-line
command against a real server on the paper broker (history, live feed, placesmartorder)."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from strategies.ema_crossover import crossover_signal
from strategies.supertrend import supertrend_direction
from tests.api.server import prepared_server
from tests.support.net import free_port, wait_for_http
from tests.websocket_proxy.conftest import wait_until
from utils.config import PROJECT_ROOT


def _frame(close: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"open": close, "high": close + 1, "low": close - 1, "close": close})


def test_signals_follow_the_trend():
    rising, falling = np.linspace(100, 200, 120), np.linspace(200, 100, 120)
    assert crossover_signal(pd.Series(rising), 9, 21) == 1
    assert crossover_signal(pd.Series(falling), 9, 21) == -1
    assert supertrend_direction(_frame(rising), 10, 3)[-1] == 1
    assert supertrend_direction(_frame(falling), 10, 3)[-1] == -1


@pytest.mark.xdist_group("servers")
def test_ema_crossover_runs_against_the_paper_broker(tmp_path):
    ws_port = free_port()
    server = prepared_server(tmp_path, WEBSOCKET_PROXY_ENABLED="true", WEBSOCKET_PORT=str(ws_port),
                             ZMQ_PORT=str(free_port()))
    server.start()
    try:
        assert wait_until(lambda: wait_for_http(f"{server.host}/health").json()["websocket_proxy"]["status"] == "up",
                          timeout=30)
        env = {**os.environ, "OPENALGO_API_KEY": server.key, "OPENALGO_HOST": server.host,
               "WEBSOCKET_URL": f"ws://127.0.0.1:{ws_port}"}
        done = subprocess.run([sys.executable, "strategies/ema_crossover.py", "--symbol", "SBIN", "--mode", "both",
                               "--every", "1", "--run-for", "4"], cwd=PROJECT_ROOT, env=env, capture_output=True,
                              text=True, timeout=120)
    finally:
        server.stop()
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "placesmartorder position_size=" in output and "'status': 'success'" in output, output
    assert "error:" not in output and "(live)" in output, output   # the feed closed the forming bar
    with sqlite3.connect(tmp_path / "srv.db") as db:
        rows = db.execute("SELECT status FROM order_journal WHERE action = 'placesmartorder' "
                          "AND strategy = 'EMA Crossover'").fetchall()
    assert rows and all(status == "success" for (status,) in rows)
