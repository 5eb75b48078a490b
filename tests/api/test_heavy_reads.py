"""History through the heavy-read worker pool of a real server (`python app.py`), as production runs it:
the answer is the endpoint's own (data and errors), and when every worker slot and queue place is taken a
further request gets 503 with Retry-After at once instead of waiting or failing with a 500 (issue 17.4)."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import requests

from restx_api.heavy_reads import spool_folders
from tests.api.server import prepared_server
from utils.market_calendar import now_ist

CONCURRENT = 8


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # one worker, no queue: a second history request while one runs has no place
    server = prepared_server(tmp_path_factory.mktemp("heavy"), HEAVY_READ_WORKERS="1", HEAVY_READ_QUEUE="0",
                             SERVER_THREADS=str(CONCURRENT + 2))
    server.start()
    yield server
    server.stop()


def _history(server, days: int, **change) -> requests.Response:
    today = now_ist().date()
    body = {"apikey": server.key, "symbol": "SBIN", "exchange": "NSE", "interval": "5m",
            "start_date": (today - timedelta(days=days)).isoformat(), "end_date": today.isoformat(), **change}
    return requests.post(f"{server.host}/api/v1/history", json=body, timeout=120)


def test_the_worker_answers_data_and_errors_as_the_endpoint_does(server):
    reply = _history(server, 3)
    assert reply.status_code == 200, reply.text
    candles = reply.json()["data"]
    assert candles and {"open", "high", "low", "close", "volume", "timestamp"} <= set(candles[0])
    assert [c["timestamp"] for c in candles] == sorted(c["timestamp"] for c in candles)

    unknown = _history(server, 3, symbol="NOSUCHSYMBOL")
    assert unknown.status_code in (400, 404), unknown.text
    assert unknown.json()["status"] == "error" and "NOSUCHSYMBOL" in unknown.json()["message"]


def test_a_request_beyond_the_pool_and_queue_is_refused_with_retry_after_and_the_pool_recovers(server):
    assert _history(server, 3).status_code == 200   # the worker process is up before the burst
    start, replies = threading.Barrier(CONCURRENT), []

    def one() -> None:
        start.wait()
        replies.append(_history(server, 365))

    threads = [threading.Thread(target=one) for _ in range(CONCURRENT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    statuses = sorted(reply.status_code for reply in replies)
    assert set(statuses) <= {200, 503}, [r.text[:200] for r in replies if r.status_code not in (200, 503)]
    assert statuses.count(200) >= 1, statuses
    refused = [reply for reply in replies if reply.status_code == 503]
    assert refused, f"{CONCURRENT} simultaneous one-year requests on one worker without a queue: none refused"
    for reply in refused:
        assert reply.headers["Retry-After"] == "5"
        body = reply.json()
        assert body["status"] == "error" and "HEAVY_READ_WORKERS" in body["message"] and body["retry_after"] == 5
    for reply in replies:
        if reply.status_code == 200:
            assert len(reply.json()["data"]) > 50_000   # a year of 5-minute bars, whole

    again = _history(server, 3)
    assert again.status_code == 200, again.text


def test_a_large_answer_arrives_whole_and_leaves_nothing_behind(tmp_path):
    """A year of bars comes back from the worker through a spool file: the client gets the whole body
    (the length it was told), and the server keeps no file once sent, nor its folder once stopped."""
    server = prepared_server(tmp_path, HEAVY_READ_WORKERS="1")
    server.start()
    try:
        replies = [_history(server, 365) for _ in range(3)]
        for reply in replies:
            assert reply.status_code == 200, reply.text[:300]
            assert int(reply.headers["Content-Length"]) == len(reply.content) > 1_000_000
            candles = reply.json()["data"]
            assert len(candles) > 50_000 and candles[-1]["timestamp"] > candles[0]["timestamp"]
        folders = spool_folders(server.process.pid)
        assert len(folders) == 1 and not list(folders[0].iterdir()), [list(f.iterdir()) for f in folders]
        pid = server.process.pid
    finally:
        server.stop()
    assert spool_folders(pid) == [], "the spool folder outlived the server"
