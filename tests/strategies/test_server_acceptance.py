"""Acceptance against a real server (`python app.py` + paper broker), driven by the public `openalgo`
client: strategy orders, a burst of 200 alerts executed exactly once, and kill -9 in the middle of a
burst with a restart that executes the rest without duplicates."""
from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from pathlib import Path

import pytest
import requests
from openalgo import Strategy

from tests.api.server import USERNAME, Server, flask_cli, prepared_server

pytestmark = pytest.mark.xdist_group("servers")


def create_strategy(server: Server, name: str, mode: str, *maps: str) -> str:
    out = flask_cli(server.env_file, "strategy", "create", "--username", USERNAME, "--name", name,
                    "--platform", "tradingview", "--mode", mode, "--positional",
                    *[arg for spec in maps for arg in ("--map", spec)])
    return out.splitlines()[-1].strip()


def position(server: Server, symbol: str) -> int:
    answer = requests.post(f"{server.host}/api/v1/openposition", timeout=10, json={
        "apikey": server.key, "strategy": "t", "symbol": symbol, "exchange": "NSE", "product": "MIS"})
    return int(answer.json()["quantity"])


def wait_for(condition, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def alert_states(db_file: Path) -> dict[str, int]:
    with sqlite3.connect(db_file) as db:
        return dict(db.execute("SELECT status, count(*) FROM strategy_alerts GROUP BY status").fetchall())


def tagged_orders(db_file: Path) -> list[str]:
    with sqlite3.connect(db_file) as db:
        return [row[0] for row in db.execute("SELECT tag FROM paper_orders WHERE tag LIKE 'wh%'")]


@pytest.fixture
def server(tmp_path):
    server = prepared_server(tmp_path, WEBHOOK_RATE_LIMIT="'100000 per minute'")
    yield server
    server.stop()


def test_strategyorder_from_the_openalgo_client(server):
    long_id = create_strategy(server, "tv-long", "LONG", "NSE:SBIN:10:MIS")
    both_id = create_strategy(server, "tv-both", "BOTH", "NSE:INFY:5:MIS")
    server.start()
    long = Strategy(server.host, long_id)
    assert long.strategyorder("SBIN", "BUY") == {"message": "Order queued successfully for SBIN",
                                                 "alert_id": 1}
    assert wait_for(lambda: position(server, "SBIN") == 10)
    long.strategyorder("SBIN", "SELL")
    assert wait_for(lambda: position(server, "SBIN") == 0)
    both = Strategy(server.host, both_id)
    both.strategyorder("INFY", "SELL", position_size=-5)
    assert wait_for(lambda: position(server, "INFY") == -5)
    book = requests.post(f"{server.host}/api/v1/orderbook", json={"apikey": server.key}, timeout=10).json()
    strategies = {row["symbol"]: row.get("strategy") for row in book["data"]["orders"]}
    assert len(book["data"]["orders"]) == 3 and strategies.get("INFY") in (None, "tv-both")


def _fire(server: Server, hook: str, count: int, acknowledged: list[int], stop: threading.Event,
          threads: int = 4) -> None:
    remaining = iter(range(count))
    lock = threading.Lock()

    def worker() -> None:
        with requests.Session() as http:
            while not stop.is_set():
                with lock:
                    if next(remaining, None) is None:
                        return
                try:
                    answer = http.post(f"{server.host}/strategy/webhook/{hook}", timeout=10,
                                       json={"symbol": "SBIN", "action": "BUY"})
                except requests.RequestException:
                    return
                if answer.status_code == 200:
                    acknowledged.append(answer.json()["alert_id"])

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(60)


def test_two_hundred_alerts_in_ten_seconds_execute_exactly_once(server, tmp_path):
    hook = create_strategy(server, "burst", "LONG", "NSE:SBIN:1:MIS")
    server.start()
    acknowledged: list[int] = []
    started = time.monotonic()
    _fire(server, hook, 200, acknowledged, threading.Event())
    assert len(acknowledged) == 200 and time.monotonic() - started < 10
    assert wait_for(lambda: alert_states(tmp_path / "srv.db") == {"done": 200}, timeout=90), \
        alert_states(tmp_path / "srv.db")
    tags = tagged_orders(tmp_path / "srv.db")
    assert sorted(tags) == sorted(f"wh{alert}" for alert in acknowledged)
    assert position(server, "SBIN") == 200


def test_kill_9_mid_burst_then_restart_executes_the_rest_once(server, tmp_path):
    hook = create_strategy(server, "crash", "LONG", "NSE:SBIN:1:MIS")
    server.start()
    acknowledged: list[int] = []
    stop = threading.Event()
    firing = threading.Thread(target=_fire, args=(server, hook, 200, acknowledged, stop))
    firing.start()
    assert wait_for(lambda: len(acknowledged) >= 120, timeout=30)
    os.killpg(server.process.pid, signal.SIGKILL)
    stop.set()
    firing.join(30)
    server.process.wait(10)
    db_file = tmp_path / "srv.db"
    interrupted = alert_states(db_file)
    assert interrupted.get("pending", 0) + interrupted.get("running", 0) > 0, interrupted  # killed mid-queue

    server.start()
    _fire(server, hook, 200 - len(acknowledged), acknowledged, threading.Event())
    assert wait_for(lambda: set(alert_states(db_file)) == {"done"}, timeout=120), alert_states(db_file)
    with sqlite3.connect(db_file) as db:
        queued = [row[0] for row in db.execute("SELECT id FROM strategy_alerts ORDER BY id")]
    tags = tagged_orders(db_file)
    assert len(tags) == len(set(tags)), "an alert placed two orders"
    assert sorted(tags) == sorted(f"wh{alert}" for alert in queued)
    assert set(acknowledged) <= set(queued) and len(acknowledged) >= 200
    assert position(server, "SBIN") == len(queued)
