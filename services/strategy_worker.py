"""The background worker that executes queued strategy alerts, in order per strategy.

Each process that serves webhooks runs a few worker threads (`STRATEGY_WORKER_THREADS`). A thread claims
the oldest pending alert of a strategy that has none running (database/strategies.claim_next), so one
strategy's alerts run one after another while different strategies run side by side, and several
processes (gunicorn workers) can share the queue safely. The webhook wakes the threads; they also poll,
and on start (and every RECOVER_EVERY seconds) settle alerts left running by a process that died.

`python app.py` and gunicorn workers start it with the app; tests that want to run the queue themselves
build the app with `STRATEGY_WORKER=False` and call `drain(app)`.
"""
from __future__ import annotations

import threading
import time
import uuid

from flask import Flask

from database import strategies as store
from services import strategy_alerts
from utils.logging import get_logger

log = get_logger(__name__)

_EXTENSION = "openalgo.strategy_worker"
POLL_SECONDS = 1.0
RECOVER_EVERY = 30.0
DEFAULT_THREADS = 2


class AlertWorker:
    def __init__(self, app: Flask, threads: int = DEFAULT_THREADS):
        self.app = app
        self.claimant = strategy_alerts.claimant_id(uuid.uuid4().hex[:8])
        self._threads_wanted = threads
        self._threads: list[threading.Thread] = []
        self._wake = threading.Condition()
        self._signals = 0
        self._stop = threading.Event()
        self._start_lock = threading.Lock()
        self._recovered_at = float("-inf")

    # ------------------------------------------------------------------------------------ control
    def start(self) -> None:
        with self._start_lock:
            if self._threads:
                return
            for number in range(self._threads_wanted):
                thread = threading.Thread(target=self._loop, name=f"strategy-alerts-{number}", daemon=True)
                self._threads.append(thread)
                thread.start()

    def wake(self) -> None:
        with self._wake:
            self._signals += 1
            self._wake.notify_all()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self.wake()
        for thread in self._threads:
            thread.join(timeout)

    # -------------------------------------------------------------------------------------- work
    def run_once(self) -> bool:
        """Claim and execute one alert; False when nothing was ready."""
        with self.app.app_context():
            self._maybe_recover()
            for strategy_id, _ in store.pending_heads():
                alert = store.claim_next(strategy_id, self.claimant)
                if alert is None:
                    continue
                try:
                    strategy_alerts.execute(alert, self.claimant)
                except Exception:  # noqa: BLE001 — never leave the strategy's queue blocked by a running alert
                    log.exception("strategy alert %s failed unexpectedly; settling it from the order book", alert.id)
                    strategy_alerts.settle(alert, self.claimant)
                return True
        return False

    def _maybe_recover(self) -> None:
        now = time.monotonic()
        if now - self._recovered_at < RECOVER_EVERY:
            return
        self._recovered_at = now
        try:
            strategy_alerts.recover()
        except Exception:  # noqa: BLE001 — recovery is retried on the next round
            log.exception("strategy alert recovery failed")

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self._wake:
                seen = self._signals
            try:
                busy = self.run_once()
            except Exception:  # noqa: BLE001 — one bad alert must not stop the queue
                log.exception("strategy alert worker error")
                busy = False
            if not busy:
                with self._wake:
                    if self._signals == seen and not self._stop.is_set():
                        self._wake.wait(POLL_SECONDS)


def init_app(app: Flask, *, start: bool) -> AlertWorker:
    worker = AlertWorker(app, threads=int(app.config.get("STRATEGY_WORKER_THREADS", DEFAULT_THREADS)))
    app.extensions[_EXTENSION] = worker
    if start and app.config.get("STRATEGY_WORKER", True):
        worker.start()
    return worker


def wake(app: Flask) -> None:
    """A new alert is queued: start the worker if this process has none yet, and wake it."""
    worker: AlertWorker = app.extensions[_EXTENSION]
    if app.config.get("STRATEGY_WORKER", True):
        worker.start()
        worker.wake()


def drain(app: Flask, limit: int = 10_000) -> int:
    """Run queued alerts in this thread until none is ready (tests); returns how many ran."""
    worker: AlertWorker = app.extensions[_EXTENSION]
    ran = 0
    while ran < limit and worker.run_once():
        ran += 1
    return ran
