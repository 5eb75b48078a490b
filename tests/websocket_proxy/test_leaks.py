"""1,000 connect / authenticate / subscribe / disconnect cycles leave nothing behind."""
from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import time

import pytest
from websockets.sync.client import connect

pytestmark = pytest.mark.xdist_group("websocket_proxy")


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _rss_kib() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def _cycle(url: str, key: str, symbol: str) -> None:
    with connect(url, open_timeout=5) as ws:
        ws.send(json.dumps({"action": "authenticate", "api_key": key}))
        assert json.loads(ws.recv(timeout=5))["type"] == "auth"
        ws.send(json.dumps({"action": "subscribe", "symbol": symbol, "exchange": "NSE", "mode": 1}))
        while json.loads(ws.recv(timeout=5)).get("type") != "subscribe":
            pass


def _task_names() -> list[str]:
    """What the proxy's event loop is still running (names and the coroutine each waits in)."""
    return [f"{task.get_name()}: {task.get_coro()!r}" for task in asyncio.all_tasks()]


def test_connect_subscribe_disconnect_cycles_do_not_leak(make_proxy, caplog):
    caplog.set_level(logging.WARNING)   # pytest keeps every captured record: that memory is not ours
    proxy = make_proxy(upstream_grace=0.0)
    keys = ["key-alice-0123456789", "key-bob-0123456789"]
    symbols = ["SBIN", "INFY", "TCS"]

    def state() -> tuple[int, int, int]:
        gc.collect()
        tasks = proxy.call(lambda: len(asyncio.all_tasks()))
        return _open_fds(), tasks, _rss_kib()

    def settle() -> None:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            snap = proxy.snapshot()
            if not snap["clients"]["connected"] and not snap["upstreams"]:
                return
            time.sleep(0.05)
        raise AssertionError(f"proxy did not settle: {proxy.snapshot()}")

    for i in range(100):   # warm-up: caches, pools, lazily created objects
        _cycle(proxy.url, keys[i % 2], symbols[i % 3])
    settle()
    fds_before, tasks_before, rss_before = state()
    for i in range(1000):
        _cycle(proxy.url, keys[i % 2], symbols[i % 3])
    settle()
    deadline = time.monotonic() + 10   # closing handshakes and adapter shutdowns finish in the background
    while True:
        fds_after, tasks_after, rss_after = state()
        if (fds_after <= fds_before + 2 and tasks_after <= tasks_before) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    snap = proxy.snapshot()
    assert snap["events"]["auth_ok"] == 1100 and snap["subscriptions"] == {"client": 0, "topics": 0}
    assert snap["bus"]["subscribed_topics"] == 0
    assert fds_after <= fds_before + 2, (fds_before, fds_after)
    assert tasks_after <= tasks_before, (tasks_before, tasks_after, proxy.call(_task_names))
    assert rss_after - rss_before < 8 * 1024, (rss_before, rss_after)
