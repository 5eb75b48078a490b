"""The background matcher: fills resting paper orders even when nobody calls the paper broker.

Fills do not depend on it: matching is computed from the deterministic price path between the last
check and now, so a late check fills an order at the same instant and price as an on-time one. The
thread only makes fills appear in the database promptly (for other readers, dashboards, square-off).
It starts with the first resting order of the process (from a request, where the app's database
engine is known), wakes every second (or at once on `wake()`: a live tick arrived), brings every user
with resting orders up to date, squares off MIS positions at their segment's time, and ends when no
order rests and no MIS position is open any more, or the database fails (the next resting order or
MIS fill starts it again). Several processes may each run one: the per-user account lock
serializes them, and every step of the engine's catch-up is idempotent, so nothing fills twice.

Users whose sandbox runs on a live broker's market (database/sandbox_markets.py) are matched by the
matcher of their live-bound engine (`only_user`), never by the simulated market's one.
"""
from __future__ import annotations

import threading
from typing import Any, Callable

from broker.paper import housekeeping
from broker.paper.engine import PaperEngine
from database import paper as store
from database import sandbox_markets
from utils.logging import get_logger

log = get_logger("broker.paper.matcher")


class BackgroundMatcher:
    def __init__(self, engine: PaperEngine, interval: float = 1.0,
                 bind_provider: Callable[[], Any] = store.current_engine,
                 on_change: Callable[[int], None] | None = None, only_user: int | None = None):
        """`on_change(user_id)`: told when a user's resting order filled or ended (PluginConfig's
        `on_order_update`, so open pages refresh). `only_user`: the matcher of one user's engine on a
        live market; the simulated market's matcher (None) skips every user whose sandbox runs on a
        live market (their live-bound engine's matcher matches them)."""
        self.only_user = only_user
        self.engine = engine
        self.on_change = on_change
        self.interval = interval
        self.bind_provider = bind_provider
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._bind: Any = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def ensure_started(self) -> None:
        """Start the thread once (call from a context where the app's database engine is reachable)."""
        with self._lock:
            if self.running:
                return
            bind = self._bind = self._bind if self._bind is not None else self.bind_provider()
            worker = self.engine.on_market(self.engine.market, bind=bind)
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, args=(worker, bind), name="paper-matcher",
                                            daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """Match now instead of at the next interval (a live tick arrived); starts the thread when it is
        not running and the database is known (it was started before, or this is an app context)."""
        self._wake.set()
        if not self.running:
            try:
                self.ensure_started()
            except RuntimeError:   # outside an app context before any start: the next call from one starts it
                pass

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None

    def _mine(self, users: list[int], bind: Any) -> list[int]:
        if self.only_user is not None:
            return [user for user in users if user == self.only_user]
        live = sandbox_markets.live_market_users(bind)
        return [user for user in users if user not in live]

    def _users(self, bind: Any) -> list[int]:
        """Users to bring up to date now: resting orders or GTTs, or an MIS position past its square-off."""
        now = self.engine.now()
        times = self.engine.settings.squareoff
        due = {user for user, exchange, changed in store.open_intraday_positions(bind)
               if changed < times.last(exchange, now)}
        return self._mine(sorted(set(store.users_with_resting_orders(bind)) | due), bind)

    def _watching(self, bind: Any) -> bool:
        """Whether anything is left to watch: what `_users` finds, or an open MIS position that will be
        squared off later (so the thread is running at that time)."""
        return bool(self._users(bind)) or bool(self._mine([user for user, _, _ in store.open_intraday_positions(bind)],
                                                          bind))

    def run_once(self, worker: PaperEngine, bind: Any) -> int:
        users = self._users(bind)
        for user_id in users:
            if worker.process(user_id) and self.on_change is not None:
                self.on_change(user_id)
        return len(users)

    def _run(self, worker: PaperEngine, bind: Any) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                if self.run_once(worker, bind):
                    continue
                with self._lock:   # ensure_started() waits here, so no new resting order is missed
                    if self._watching(bind):
                        continue
                    self._thread = None
                    return
            except Exception:  # the database went away (shutdown, test teardown): the next order restarts us
                log.warning("paper matcher stopped after an error", exc_info=True)
                with self._lock:
                    self._thread = None
                return
