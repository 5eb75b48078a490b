"""Acceptance (issue 17.1): simultaneous smart orders for one symbol, served by several gunicorn worker
processes (with threads) on PostgreSQL and Redis, as the README's production set-up runs — every trial
moves the position exactly once.

Each trial sends 8 `placesmartorder` at once with the same target, alternately 5 (BUY, quantity 5, as
the issue's reproducer) and 0 (quantity 0: an exit), so each trial has exactly one move to make: exactly one answer carries an order id, the others say the
position already matches, and the position ends at the target.
"""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
import requests

from tests.api.server import prepared_server
from tests.foundation.test_server import _start, _stop
from tests.support.databases import fresh_postgres_database
from tests.support.net import wait_for_http
from tests.support.redis_server import redis_key_prefix

pytestmark = pytest.mark.xdist_group("servers")

TRIALS, SIMULTANEOUS = 50, 8
MATCHED = "Positions Already Matched. No Action needed."


def _trial(host: str, key: str, target: int) -> list[dict]:
    order = {"apikey": key, "strategy": "locks", "symbol": "INFY", "exchange": "NSE", "action": "BUY",
             "product": "MIS", "pricetype": "MARKET", "quantity": "5" if target else "0", "position_size": str(target)}
    start, answers = threading.Barrier(SIMULTANEOUS, timeout=30), [None] * SIMULTANEOUS

    def send(slot: int, session: requests.Session) -> None:
        start.wait()
        answers[slot] = session.post(f"{host}/api/v1/placesmartorder", json=order, timeout=30).json()

    sessions = [requests.Session() for _ in range(SIMULTANEOUS)]
    threads = [threading.Thread(target=send, args=(n, sessions[n])) for n in range(SIMULTANEOUS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "orders still unanswered after 60 s"
    return answers


def test_smart_orders_from_many_workers_move_the_position_once_per_trial(tmp_path: Path):
    with fresh_postgres_database() as url, redis_key_prefix() as (redis_url, _prefix, _client):
        server = prepared_server(tmp_path, DATABASE_URL=f"'{url}'", LOGS_DATABASE_URL=f"'{url}'",
                                 RATELIMIT_STORAGE_URI=f"'{redis_url}'")
        gunicorn = str(Path(__import__("sys").executable).parent / "gunicorn")
        process = _start([gunicorn, "--bind", f"127.0.0.1:{server.port}", "--workers", "3", "--threads", "4",
                          "app:create_app()"], server.env_file)
        try:
            wait_for_http(f"{server.host}/health", process=process)
            failures = []
            for trial in range(TRIALS):
                target = 5 if trial % 2 == 0 else 0
                answers = _trial(server.host, server.key, target)
                placed = [a for a in answers if "orderid" in a]
                position = requests.post(f"{server.host}/api/v1/openposition", timeout=10, json={
                    "apikey": server.key, "strategy": "locks", "symbol": "INFY", "exchange": "NSE",
                    "product": "MIS"}).json()
                if len(placed) != 1 or position.get("quantity") != target or \
                        any(a.get("message") != MATCHED for a in answers if "orderid" not in a):
                    failures.append((trial, target, position, answers))
        finally:
            output = _stop(process)
    assert not failures, f"{len(failures)} of {TRIALS} trials moved the position other than once: {failures[:2]!r}\n" \
                         f"{output[-2000:]}"
