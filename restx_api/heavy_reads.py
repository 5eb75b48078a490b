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
server (the API's error mapping included): the worker returns (status, body, content type). A large body
(a year of 5m bars: ~8 MB) does not come back through the pool's pipe: receiving it there cost the server
~40 ms of CPU under the GIL per request (a read per 64 KB into a fresh buffer, then two more copies),
which slowed orders by 20-30 % while histories ran back to back (issue 17.4). The worker writes it to a
file in a spool folder in memory (/dev/shm where there is one); the server reads it in one call and sends
it (server CPU per 1-year 5m request: 41-46 ms through the pipe, ~15 ms this way).
"""
from __future__ import annotations

import io
import multiprocessing
import os
import shutil
import tempfile
import threading
import weakref
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from flask import Flask, Response, current_app, request
from werkzeug.wsgi import wrap_file

from broker.contract.columns import CandleColumns
from services import broker_session, market_data
from utils.logging import get_logger
from utils.processes import pid_alive
from utils.errors import ServiceBusy

log = get_logger(__name__)

MAX_TASKS_PER_WORKER = 50
READ_TIMEOUT_SECONDS = 300
BUSY_RETRY_SECONDS = 5
WORKER_NICENESS = 10
_EXTENSION = "openalgo.heavy_reads"
SPOOL_FROM_BYTES = 256 * 1024   # smaller bodies (errors, short ranges) come back through the pipe
SPOOL_PREFIX = "openalgo-heavy-reads-"


@dataclass(frozen=True)
class SpooledBody:
    """A body the worker left in a file of the spool folder; the server sends it and removes it."""
    path: str
    size: int


Answer = tuple[int, bytes | SpooledBody, str]


# ------------------------------------------------------------------------------------------- in the worker
_worker_app: Flask | None = None
_worker_spool: str | None = None


def _start_worker(config: dict[str, Any], spool: str) -> None:
    global _worker_app, _worker_spool
    _worker_spool = spool
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
    assert _worker_app is not None and _worker_spool, "heavy-read worker started without its app"
    with _worker_app.test_request_context():
        status, body, content_type = answer(kind, user_id, args)
    if len(body) < SPOOL_FROM_BYTES:
        return status, body, content_type
    descriptor, path = tempfile.mkstemp(dir=_worker_spool)
    with os.fdopen(descriptor, "wb") as spooled:
        spooled.write(body)
    return status, SpooledBody(path, len(body)), content_type


# ------------------------------------------------------------------------------------------- in the server
def _make_spool() -> str:
    """A new spool folder (in memory where /dev/shm exists), after removing those of servers that died
    without removing theirs (the folder's name carries the server's process id)."""
    root = spool_root()
    for stale in root.glob(f"{SPOOL_PREFIX}*-"):
        pid = stale.name[len(SPOOL_PREFIX):].split("-")[0]
        if pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    return tempfile.mkdtemp(prefix=f"{SPOOL_PREFIX}{os.getpid()}-", suffix="-", dir=root)


def spool_root() -> Path:
    """Where spool folders are made: /dev/shm (memory) where the system has it, else the temp folder."""
    return Path("/dev/shm") if os.access("/dev/shm", os.W_OK) else Path(tempfile.gettempdir())


def spool_folders(server_pid: int) -> list[Path]:
    """The spool folders of the server process `server_pid` (one while it has served a heavy read)."""
    return list(spool_root().glob(f"{SPOOL_PREFIX}{server_pid}-*-"))


def _spooled_response(body: SpooledBody, status: int, content_type: str) -> Response:
    """Send the worker's file and remove it. It is read in one call (the GIL released) and sent from
    memory: waitress sends a file-like body in socket-sized pieces, and from a file every piece costs
    three system calls (read, seek, tell) under the GIL: ~20 ms of server CPU per 8 MB against ~15."""
    with open(body.path, "rb") as spooled_file:
        spooled = io.BytesIO(spooled_file.read())
    os.unlink(body.path)
    return Response(wrap_file(request.environ, spooled), status=status, content_type=content_type,
                    direct_passthrough=True, headers={"Content-Length": str(body.size)})


class HeavyReadPool:
    def __init__(self, config: dict[str, Any], workers: int, queue: int):
        self._config, self._workers = config, workers
        self._spool: str | None = None
        self._slots = threading.BoundedSemaphore(workers + queue)
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._spool is None:
                self._spool = _make_spool()
                weakref.finalize(self, shutil.rmtree, self._spool, ignore_errors=True)
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    max_workers=self._workers, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker, initargs=(self._config, self._spool),
                    max_tasks_per_child=MAX_TASKS_PER_WORKER)
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
    if isinstance(body, SpooledBody):
        return _spooled_response(body, status, content_type)
    return Response(body, status=status, content_type=content_type)
