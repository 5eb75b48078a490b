"""Daily square-off of intraday strategies, scheduled with APScheduler.

At each active intraday strategy's square-off time (IST) its open orders are cancelled and every mapped
symbol is flattened, through the alert queue (so it runs after the strategy's earlier alerts, through
the same order services, and survives a crash). Days the market calendar marks as holidays for the
strategy's exchanges are skipped.

Once per deployment: the scheduler runs in the `python app.py` process (not in gunicorn workers, test
apps or CLI commands); under gunicorn run `flask --app app strategy scheduler` once beside it. Even if
two schedulers run, `database.strategies.queue_squareoff` takes a strategy's square-off for the day in
one conditional UPDATE, so it is queued once.

At start the jobs are rebuilt from the database, and a square-off missed while the server was down runs
at once if the market is still open (logged either way). Jobs are re-synced every SYNC_SECONDS and when
a strategy changes in this process. The clock is injectable (`clock=`, or the app's OPENALGO_CLOCK).
The same scheduler runs the hosted-strategy supervisor (services/hosted_strategies.py) every
SUPERVISE_SECONDS, for the same once-per-deployment reason, and resumes the matchers of sandboxes on a
live market (services/sandbox_ticks.resume: their MIS square-off, resting orders and GTTs) at start and
every SYNC_SECONDS, so neither a restart nor a recycled worker waits for the user's next call. It also
deletes finished strategy alerts past STRATEGY_ALERT_RETENTION (services/strategy_alerts.prune) at start
and every PRUNE_SECONDS.
"""
from __future__ import annotations

import logging
import signal
import threading
from datetime import date, datetime
from typing import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import Flask

from database import strategies as store
from database.strategies import Strategy
from services import hosted_strategies, sandbox_ticks, strategies, strategy_alerts, strategy_worker
from services.market_calendar import calendar_for
from services.strategy_alerts import squareoff_rows
from utils import clock as app_clock
from utils.logging import get_logger
from utils.market_calendar import IST

log = get_logger(__name__)

SYNC_SECONDS = 60
SUPERVISE_SECONDS = 5
PRUNE_SECONDS = 3600
MISFIRE_GRACE_SECONDS = 300
_JOB_PREFIX = "squareoff-"


def _exchanges(strategy: Strategy) -> list[str]:
    return sorted({m.exchange for m in strategy.mappings}) or ["NSE"]


def _due(strategy: Strategy, now: datetime) -> bool:
    local = now.astimezone(IST)
    return (strategy.is_intraday and strategy.is_active and strategy.last_squareoff_on != local.date()
            and local.strftime("%H:%M") >= strategy.squareoff_time)


def _trading_day(app: Flask, strategy: Strategy, day: date) -> bool:
    calendar = calendar_for(app)
    return any(calendar.is_trading_day(exchange, day) for exchange in _exchanges(strategy))


def _market_open(app: Flask, strategy: Strategy, now: datetime) -> bool:
    calendar = calendar_for(app)
    return any(calendar.is_open(exchange, now) for exchange in _exchanges(strategy))


def run_due(app: Flask, now: datetime | None = None, *, missed: bool = False) -> list[str]:
    """Queue the square-off of every strategy whose time has come today (needs an app context);
    returns their names. With `missed`, only while the market is still open (a start-up catch-up)."""
    now = now or app_clock.now()
    queued = []
    for strategy in store.intraday_active():
        if not _due(strategy, now) or not _trading_day(app, strategy, now.astimezone(IST).date()):
            continue
        if missed and not _market_open(app, strategy, now):
            log.warning("square-off of strategy %r (%s IST) was missed while the server was down; the market is "
                        "closed now, so it is skipped", strategy.name, strategy.squareoff_time)
            continue
        if store.queue_squareoff(strategy.id, now.astimezone(IST).date(), squareoff_rows(strategy)):
            queued.append(strategy.name)
            log.log(logging.WARNING if missed else logging.INFO, "square-off of strategy %r queued%s", strategy.name,
                    f" late: its time {strategy.squareoff_time} IST passed while the server was down"
                    if missed else "")
    if queued:
        strategy_worker.wake(app)
    return queued


class SquareoffScheduler:
    def __init__(self, app: Flask, clock: Callable[[], datetime] | None = None):
        self.app = app
        self.clock = clock or (lambda: self._app_now())
        self.scheduler = BackgroundScheduler(timezone=IST)
        logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per 5-second supervision run
        self._sync_lock = threading.Lock()
        self.supervisor = hosted_strategies.Supervisor(app, clock=clock)
        self._unsubscribe: Callable[[], None] = lambda: None
        self._resumed: list[int] = []

    def _app_now(self) -> datetime:
        with self.app.app_context():
            return app_clock.now()

    def start(self) -> None:
        with self.app.app_context():
            run_due(self.app, self.clock(), missed=True)
        self.sync()
        self.scheduler.add_job(self.sync, "interval", seconds=SYNC_SECONDS, id="sync-squareoff-jobs",
                               replace_existing=True)
        self.resume_sandboxes()
        self.scheduler.add_job(self.resume_sandboxes, "interval", seconds=SYNC_SECONDS, id="resume-sandboxes",
                               replace_existing=True, coalesce=True, max_instances=1)
        hosted_strategies.attach(self.app, self.supervisor)
        self.supervisor.tick()  # adopt or restart hosted scripts that were running before the restart
        self.scheduler.add_job(self.supervisor.tick, "interval", seconds=SUPERVISE_SECONDS, id="supervise-hosted",
                               replace_existing=True, coalesce=True, max_instances=1)
        self.scheduler.add_job(self.prune_alerts, "interval", seconds=PRUNE_SECONDS, id="prune-strategy-alerts",
                               next_run_time=datetime.now(IST), replace_existing=True, coalesce=True,
                               max_instances=1)
        self.scheduler.start()
        self._unsubscribe = strategies.on_change(self.app, self.sync)
        log.info("square-off scheduler started (%d strategies)", len(self.jobs()))

    def stop(self) -> None:
        self._unsubscribe()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.supervisor.shutdown()

    def resume_sandboxes(self) -> None:
        """Live-market sandboxes with something to watch get their matcher here (sandbox_ticks.resume)."""
        try:
            with self.app.app_context():
                users = sandbox_ticks.resume()
        except Exception:  # noqa: BLE001 — the next run retries; the square-off jobs must still start
            log.exception("resuming the sandboxes on a live market failed")
            return
        if users != self._resumed:   # said when it changes, not every minute
            log.info("sandbox matchers running for %d user(s) on a live market", len(users))
            self._resumed = users

    def prune_alerts(self) -> None:
        """Finished strategy alerts past their retention are deleted (strategy_alerts.prune)."""
        try:
            with self.app.app_context():
                strategy_alerts.prune(self.clock())
        except Exception:  # noqa: BLE001 — the next run retries
            log.exception("deleting old strategy alerts failed")

    def jobs(self) -> dict[int, object]:
        return {int(job.id[len(_JOB_PREFIX):]): job for job in self.scheduler.get_jobs()
                if job.id.startswith(_JOB_PREFIX)}

    def sync(self) -> None:
        """Make the jobs match the database: one cron job per active intraday strategy."""
        with self._sync_lock, self.app.app_context():
            wanted = {s.id: s.squareoff_time for s in store.intraday_active()}
            for strategy_id, job in self.jobs().items():
                if strategy_id not in wanted:
                    job.remove()
            for strategy_id, hhmm in wanted.items():
                hour, minute = (int(part) for part in hhmm.split(":"))
                job = self.scheduler.get_job(f"{_JOB_PREFIX}{strategy_id}")
                if job is not None and getattr(job, "kwargs", {}).get("at") == hhmm:
                    continue
                self.scheduler.add_job(self._fire, CronTrigger(hour=hour, minute=minute, timezone=IST),
                                       id=f"{_JOB_PREFIX}{strategy_id}", kwargs={"at": hhmm},
                                       replace_existing=True, misfire_grace_time=MISFIRE_GRACE_SECONDS,
                                       coalesce=True)

    def _fire(self, at: str) -> None:
        try:
            with self.app.app_context():
                run_due(self.app, self.clock())
        except Exception:  # noqa: BLE001 — the next job must still run
            log.exception("square-off at %s failed", at)


_EXTENSION = "openalgo.squareoff_scheduler"


def start(app: Flask) -> SquareoffScheduler:
    scheduler = SquareoffScheduler(app)
    scheduler.start()
    app.extensions[_EXTENSION] = scheduler
    return scheduler


def state(app: Flask) -> str:
    """For /health: running / stopped, or elsewhere when this process does not run the scheduler
    (gunicorn workers, test apps)."""
    scheduler: SquareoffScheduler | None = app.extensions.get(_EXTENSION)
    if scheduler is None:
        return "elsewhere"
    return "running" if scheduler.scheduler.running else "stopped"


def run_forever(app: Flask) -> None:
    """`flask --app app strategy scheduler`: the scheduler (and an alert worker) until Ctrl-C/SIGTERM."""
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    scheduler = start(app)
    try:
        while not done.wait(1):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.stop()
