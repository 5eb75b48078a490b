"""Heavy reads (candle history, the ticker) run in a small pool of worker processes, not in the server's
own threads, so they cannot slow the order path.

A year of 5-minute bars is about 100,000 candles: seconds of CPU and about 8 MB of JSON. Run in a server
thread, that work holds the GIL against every order thread (placeorder's median went from ~2 ms to
21-31 ms while one ran) and leaves the process's heap spread out afterwards. In a worker process it costs
the server a wait on a pipe and the bytes it forwards, and it runs at a lower CPU priority (nice 10) so a
busy machine gives the server's cores to orders first. The pool (HEAVY_READ_WORKERS processes, spawned on
first use, each building the app from the same settings, recycled after MAX_TASKS_PER_WORKER reads) runs
that many reads at once; up to HEAVY_READ_QUEUE more wait their turn, further ones get 503 with
Retry-After. With HEAVY_READ_WORKERS=0, or in a test app, reads run inline.

A read is named by `kind` and answered in the worker exactly as the endpoint would answer it in the
server (the API's error mapping included): the worker returns (status, body bytes, content type).
"""
from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable

from flask import Flask, Response, current_app

from broker.contract.columns import CandleColumns
from services import broker_session, market_data
from utils.logging import get_logger
from utils.errors import ServiceBusy

log = get_logger(__name__)

MAX_TASKS_PER_WORKER = 50
READ_TIMEOUT_SECONDS = 300
BUSY_RETRY_SECONDS = 5
WORKER_NICENESS = 10
_EXTENSION = "openalgo.heavy_reads"

Answer = tuple[int, bytes, str]


# ------------------------------------------------------------------------------------------- in the worker
_worker_app: Flask | None = None


def _start_worker(config: dict[str, Any]) -> None:
    global _worker_app
    from app import create_app

    # below the server in CPU priority: on a busy machine the order path gets the cores first
    os.nice(WORKER_NICENESS)

    _worker_app = create_app({**config, "AUTO_MIGRATE": False, "STRATEGY_WORKER": False,
                              "HEAVY_READ_WORKERS": 0})


def _candles(candles: CandleColumns) -> Response:
    """§6.4's body written straight from the columns (the same bytes json.dumps would write, ~10x sooner)."""
    return Response(b'{"status":"success","data":' + candles.json() + b"}\n", content_type="application/json")


def _history(user_id: int, r: dict[str, Any]) -> Response:
    with broker_session.expire_on_token_error(user_id):
        return _candles(market_data.history_candles(user_id, r["symbol"], r["exchange"], r["interval"],
                                                    r["start_date"], r["end_date"], r["source"]))


def _ticker(user_id: int, r: dict[str, Any]) -> Response:
    with broker_session.expire_on_token_error(user_id):
        exchange, symbol, candles = market_data.ticker(user_id, r["pair"], r["interval"], r["start"], r["end"])
    if r["format"] == "txt":
        return Response(market_data.ticker_text(exchange, symbol, r["interval"], candles), mimetype="text/plain")
    return _candles(candles)


READS: dict[str, Callable[[int, dict[str, Any]], Response]] = {"history": _history, "ticker": _ticker}


def answer(kind: str, user_id: int, args: dict[str, Any]) -> Answer:
    """Run the read `kind` for the user, answered as the API answers (needs a request context)."""
    try:
        response = READS[kind](user_id, args)
    except Exception as exc:  # noqa: BLE001 — mapped exactly as the API maps an endpoint's error
        response = current_app.extensions["openalgo.api"].handle_error(exc)
    return response.status_code, response.get_data(), response.content_type


def _answer_in_worker(kind: str, user_id: int, args: dict[str, Any]) -> Answer:
    assert _worker_app is not None, "heavy-read worker started without its app"
    with _worker_app.test_request_context():
        return answer(kind, user_id, args)


# ------------------------------------------------------------------------------------------- in the server
class HeavyReadPool:
    def __init__(self, config: dict[str, Any], workers: int, queue: int):
        self._config, self._workers = config, workers
        self._slots = threading.BoundedSemaphore(workers + queue)
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    max_workers=self._workers, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker, initargs=(self._config,), max_tasks_per_child=MAX_TASKS_PER_WORKER)
            return self._executor

    def run(self, kind: str, user_id: int, args: dict[str, Any]) -> Answer:
        if not self._slots.acquire(blocking=False):
            raise ServiceBusy(f"Too many history requests are running or queued (HEAVY_READ_WORKERS + "
                              f"HEAVY_READ_QUEUE); try again in {BUSY_RETRY_SECONDS} seconds",
                              retry_after=BUSY_RETRY_SECONDS)
        try:
            future: Future = self._pool().submit(_answer_in_worker, kind, user_id, args)
            return future.result(timeout=READ_TIMEOUT_SECONDS)
        except BrokenProcessPool:   # a worker died (killed, out of memory): start afresh next time
            log.error("heavy-read worker died during %s; the pool is restarted", kind)
            with self._lock:
                self._executor = None
            raise
        finally:
            self._slots.release()

    def shutdown(self) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None


def init_app(app: Flask, config: dict[str, Any]) -> None:
    """`config`: what create_app was given, so the workers build the same app."""
    settings = app.extensions["openalgo.settings"]
    workers = 0 if app.testing else settings.HEAVY_READ_WORKERS
    app.extensions[_EXTENSION] = HeavyReadPool(config, workers, settings.HEAVY_READ_QUEUE) if workers else None


def respond(kind: str, user_id: int, args: dict[str, Any]) -> Response:
    """The read's response: from the worker pool, or run here when the app runs reads inline."""
    pool: HeavyReadPool | None = current_app.extensions.get(_EXTENSION)
    if pool is None:
        return READS[kind](user_id, args)
    try:
        status, body, content_type = pool.run(kind, user_id, args)
    except (BrokenProcessPool, TimeoutError):
        raise ServiceBusy("The history worker stopped before answering; try again") from None
    return Response(body, status=status, content_type=content_type)
