"""SIGKILL during a burst of orders: after a restart every order that got a 200 is in the orderbook and
in the journal (the paper order and the journal row are both committed before the response)."""
from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time

import pytest
import requests

from tests.api.server import prepared_server

pytestmark = pytest.mark.xdist_group("servers")
ORDER = {"strategy": "burst", "symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": "1",
         "pricetype": "MARKET", "product": "MIS"}


def test_acknowledged_orders_survive_kill_9(tmp_path):
    server = prepared_server(tmp_path)
    server.start()
    acknowledged: list[str] = []
    stop = threading.Event()

    def burst() -> None:
        with requests.Session() as http:
            while not stop.is_set():
                try:
                    answer = http.post(f"{server.host}/api/v1/placeorder", json={"apikey": server.key, **ORDER},
                                       timeout=5)
                except requests.RequestException:
                    return
                if answer.status_code == 200:
                    acknowledged.append(answer.json()["orderid"])

    workers = [threading.Thread(target=burst) for _ in range(4)]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 40 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(server.process.pid, signal.SIGKILL)
    stop.set()
    for worker in workers:
        worker.join(10)
    server.process.wait(10)
    assert len(acknowledged) >= 40

    server.start()
    try:
        book = requests.post(f"{server.host}/api/v1/orderbook", json={"apikey": server.key}, timeout=10).json()
        in_book = {row["orderid"] for row in book["data"]["orders"]}
    finally:
        server.stop()
    assert set(acknowledged) <= in_book
    with sqlite3.connect(tmp_path / "srv.db") as db:
        journaled = {row[0] for row in db.execute("SELECT orderid FROM order_journal WHERE action = 'placeorder'")}
    assert set(acknowledged) <= journaled
