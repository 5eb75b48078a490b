"""Hosted Python strategies (platform "python"): the script stored per user, run as a separate process on
a schedule, with its log, start/stop, automatic stop at square-off, and state that survives restarts.

The database holds the script, its schedule (IST days and start/stop times), its encrypted user
variables and whether the user wants it running (`enabled`). The `Supervisor` (run by the strategy
scheduler, once per deployment) makes reality match every few seconds: a script runs while it is
enabled, it is a run day and the time is inside its window — which for intraday strategies ends at
the square-off time. After a restart the supervisor adopts processes still alive from before (they run
in their own session, so a crashed server does not take them down) and starts the enabled ones that
are not; stopped ones stay stopped.

Each run gets OPENALGO_API_KEY, OPENALGO_HOST and WEBSOCKET_URL plus the user's variables, and nothing
else from the server's environment (no server secrets). Output goes to the strategy's log file.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from flask import Flask, current_app

from database import db
from database import strategies as store
from database.strategies import Strategy, StrategyScript
from services import api_keys, strategies
from utils.errors import InvalidInput
from utils import clock as app_clock
from utils.config import PROJECT_ROOT
from utils.crypto import secret_box
from utils.logging import get_logger
from utils.market_calendar import IST

log = get_logger(__name__)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RESERVED_ENV = ("OPENALGO_API_KEY", "OPENALGO_HOST", "WEBSOCKET_URL", "PATH", "PYTHONUNBUFFERED", "PYTHONPATH")
MAX_SCRIPT_BYTES = 256 * 1024
MAX_LOG_BYTES = 5 * 1024 * 1024
STOP_GRACE_SECONDS = 5.0
FINISHED = "finished:"
LAUNCHER = Path(__file__).resolve().parent / "hosted_launcher.py"
EXAMPLES = PROJECT_ROOT / "strategies"
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,63}$")
_SIGNAL_NAMES = {-signal.SIGXCPU: "CPU time limit reached", -signal.SIGKILL: "killed",
                 -signal.SIGTERM: "terminated", -signal.SIGSEGV: "crashed"}


def _settings():
    return current_app.extensions["openalgo.settings"]


def _box():
    return secret_box(_settings().API_KEY_PEPPER)


def folder(strategy_id: int) -> Path:
    path = _settings().strategy_dir / str(strategy_id)
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_path(strategy_id: int) -> Path:
    return _settings().strategy_dir / str(strategy_id) / "run.log"


# ------------------------------------------------------------------------------------------ editing
def _python_strategy(user_id: int, strategy_id: int) -> Strategy:
    strategy = strategies.get(user_id, strategy_id)
    if strategy.platform != "python":
        raise InvalidInput(f"{strategy.name} is a {strategy.platform} strategy; scripts belong to python strategies",
                           field="platform")
    return strategy


def parse_env(text: str) -> dict[str, str]:
    """`NAME=value` lines (blank lines and # comments ignored)."""
    env = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        name = name.strip()
        if not sep or not _ENV_NAME.match(name):
            raise InvalidInput(f"variables line {number}: expected NAME=value with NAME in capitals, digits and _",
                               field="env")
        if name in RESERVED_ENV:
            raise InvalidInput(f"variables line {number}: {name} is set by the server", field="env")
        env[name] = value.strip()
    return env


def _days(value: Any) -> str:
    days = [d.strip().lower()[:3] for d in (value if isinstance(value, (list, tuple)) else str(value).split(","))]
    days = [d for d in days if d]
    bad = [d for d in days if d not in DAYS]
    if bad or not days:
        raise InvalidInput(f"run_days must be a comma-separated list of {', '.join(DAYS)}", field="run_days")
    return ",".join(d for d in DAYS if d in days)


def save_script(user_id: int, strategy_id: int, *, code: str, run_start: str = "09:15", run_stop: str = "15:30",
                run_days: Any = "mon,tue,wed,thu,fri", env: dict[str, str] | None = None,
                cpu_seconds: int = 3600, memory_mb: int = 1024, filename: str = "strategy.py") -> StrategyScript:
    """Store (or replace) the strategy's script and schedule; `env=None` keeps the stored variables."""
    strategy = _python_strategy(user_id, strategy_id)
    if len(code.encode()) > MAX_SCRIPT_BYTES:
        raise InvalidInput(f"the script is larger than {MAX_SCRIPT_BYTES // 1024} KB", field="code")
    try:
        compile(code, filename, "exec")
    except SyntaxError as exc:
        raise InvalidInput(f"the script does not compile: line {exc.lineno}: {exc.msg}", field="code") from None
    start, stop = strategies.parse_time("run_start", run_start), strategies.parse_time("run_stop", run_stop)
    if not start < stop:
        raise InvalidInput(f"run_stop ({stop}) must be after run_start ({start})", field="run_stop")
    if not 1 <= int(cpu_seconds) <= 86_400 or not 64 <= int(memory_mb) <= 16_384:
        raise InvalidInput("cpu_seconds must be 1-86400 and memory_mb 64-16384", field="limits")
    script = store.script_for(strategy.id) or StrategyScript(strategy_id=strategy.id, enabled=False, last_event="")
    script.code, script.filename, script.run_start, script.run_stop = code, filename[:100], start, stop
    script.run_days, script.cpu_seconds, script.memory_mb = _days(run_days), int(cpu_seconds), int(memory_mb)
    if env is not None or not script.env_encrypted:
        script.env_encrypted = _box().encrypt(json.dumps(env or {}))
    db.session.add(script)
    db.session.commit()
    return script


def set_enabled(user_id: int, strategy_id: int, enabled: bool) -> None:
    """Start (or stop) the script: the supervisor acts within seconds, or at once in this process."""
    strategy = _python_strategy(user_id, strategy_id)
    script = store.script_for(strategy.id)
    if script is None:
        raise InvalidInput("save a script first", field="code")
    script.enabled = enabled
    if enabled and script.last_event.startswith(FINISHED):
        script.last_event = "start requested"
    db.session.commit()
    supervisor = current_app.extensions.get(_EXTENSION)
    if supervisor is not None:
        supervisor.tick()


def script_of(user_id: int, strategy_id: int, *, any_platform: bool = False) -> StrategyScript | None:
    strategy = strategies.get(user_id, strategy_id) if any_platform else _python_strategy(user_id, strategy_id)
    return store.script_for(strategy.id)


def env_names(script: StrategyScript) -> list[str]:
    return sorted(json.loads(_box().decrypt(script.env_encrypted))) if script.env_encrypted else []


def read_log(user_id: int, strategy_id: int, max_bytes: int = 64 * 1024) -> str:
    strategies.get(user_id, strategy_id)  # ownership
    path = log_path(strategy_id)
    if not path.exists():
        return ""
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - max_bytes))
        return handle.read().decode("utf-8", "replace")


def status(user_id: int, strategy_id: int) -> dict[str, Any]:
    strategy = _python_strategy(user_id, strategy_id)
    script = store.script_for(strategy.id)
    if script is None:
        return {"state": "no script", "enabled": False}
    return {"state": "running" if script.pid else "stopped", "enabled": script.enabled, "pid": script.pid,
            "last_event": script.last_event, "exit_code": script.exit_code}


# ---------------------------------------------------------------------------------------- supervision
def should_run(script: StrategyScript, strategy: Strategy, now: datetime) -> tuple[bool, str]:
    if not script.enabled:
        return False, "stopped by the user"
    local = now.astimezone(IST)
    stopped = script.stopped_at.replace(tzinfo=script.stopped_at.tzinfo or timezone.utc) if script.stopped_at else None
    if script.last_event.startswith(FINISHED) and stopped and stopped.astimezone(IST).date() == local.date():
        return False, "finished for today"
    if DAYS[local.weekday()] not in script.run_days.split(","):
        return False, f"{DAYS[local.weekday()]} is not a run day"
    stop = min(script.run_stop, strategy.squareoff_time) if strategy.is_intraday else script.run_stop
    hhmm = local.strftime("%H:%M")
    if hhmm < script.run_start:
        return False, f"waiting for {script.run_start} IST"
    if hhmm >= stop:
        reason = "square-off time" if strategy.is_intraday and stop == strategy.squareoff_time else "stop time"
        return False, f"{reason} {stop} IST reached"
    return True, "scheduled"


def _alive(pid: int | None, script_file: Path) -> bool:
    if not pid:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", "replace")
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    # an empty command line is a process in the middle of exec (the launcher becoming the script)
    return state != "Z" and (not cmdline or str(script_file) in cmdline)


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "ended"
    return f"exited with code {code}" + (f" ({_SIGNAL_NAMES[code]})" if code in _SIGNAL_NAMES else "")


class Supervisor:
    def __init__(self, app: Flask, clock: Callable[[], datetime] | None = None):
        self.app = app
        self.clock = clock
        self._children: dict[int, subprocess.Popen] = {}
        self._lock = threading.Lock()

    def _now(self) -> datetime:
        return self.clock() if self.clock else app_clock.now()

    def tick(self) -> None:
        with self._lock, self.app.app_context():
            now = self._now()
            rows = store.all_scripts()
            for script, strategy in rows:
                try:
                    self._reconcile(script, strategy, now)
                except Exception:  # noqa: BLE001 — one broken script must not stop the others
                    log.exception("hosted strategy %s: supervision failed", strategy.name)
            db.session.commit()
            self._end_deleted({strategy.id for _, strategy in rows})

    def _end_deleted(self, known: set[int]) -> None:
        """Stop processes whose strategy was deleted (possibly from another process)."""
        for strategy_id in [sid for sid in self._children if sid not in known]:
            child = self._children.pop(strategy_id)
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            child.wait(5)
            log.info("hosted strategy %s was deleted; its process was stopped", strategy_id)

    def _reconcile(self, script: StrategyScript, strategy: Strategy, now: datetime) -> None:
        script_file = folder(strategy.id) / script.filename
        wanted, why = should_run(script, strategy, now)
        child = self._children.get(strategy.id)
        alive = child.poll() is None if child is not None and child.pid == script.pid else _alive(script.pid, script_file)
        if script.pid and not alive:
            child = self._children.pop(strategy.id, None)
            code = child.wait(5) if child is not None else None
            script.exit_code, script.pid, script.stopped_at = code, None, now.astimezone(timezone.utc)
            if code in (None, 0):  # it ended by itself: runs again on its next run day
                script.last_event = f"{FINISHED} {_describe_exit(code)}"
            else:                  # a crashing script is not restarted in a loop
                script.last_event, script.enabled = _describe_exit(code), False
            self._note(strategy.id, f"process {script.last_event}")
            return
        if wanted and not alive:
            self._start(script, strategy, script_file)
        elif alive and not wanted:
            self._stop(script, strategy, why)

    def _note(self, strategy_id: int, text: str) -> None:
        stamp = self._now().astimezone(IST).strftime("%Y-%m-%d %H:%M:%S")
        folder(strategy_id)
        with log_path(strategy_id).open("a", encoding="utf-8") as handle:
            handle.write(f"=== {stamp} IST {text}\n")

    def _start(self, script: StrategyScript, strategy: Strategy, script_file: Path) -> None:
        key = api_keys.reveal(strategy.user_id)
        if key is None:
            script.last_event = "not started: create an API key first (API key page)"
            return
        folder(strategy.id)
        script_file.write_text(script.code, encoding="utf-8")
        logfile = log_path(strategy.id)
        if logfile.exists() and logfile.stat().st_size > MAX_LOG_BYTES:
            logfile.replace(logfile.with_suffix(".log.1"))
        settings = _settings()
        env = {**(json.loads(_box().decrypt(script.env_encrypted)) if script.env_encrypted else {}),
               "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"),
               "LANG": os.environ.get("LANG", "C.UTF-8"), "PYTHONUNBUFFERED": "1", "MALLOC_ARENA_MAX": "2",
               "OPENALGO_API_KEY": key, "OPENALGO_HOST": settings.HOST_SERVER,
               "WEBSOCKET_URL": settings.websocket_url, "OPENALGO_STRATEGY": strategy.name,
               "PYTHONPATH": str(EXAMPLES)}  # scripts may import the examples' helpers (strategies/runner.py)
        self._note(strategy.id, f"starting {script.filename} (CPU {script.cpu_seconds}s, memory {script.memory_mb} MB)")
        with logfile.open("ab") as output:
            child = subprocess.Popen(
                [sys.executable, str(LAUNCHER), str(script.cpu_seconds), str(script.memory_mb), str(script_file)],
                env=env, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                close_fds=True)
        self._children[strategy.id] = child
        script.pid, script.started_at, script.exit_code = child.pid, self._now(), None
        script.last_event = "running"
        log.info("hosted strategy %r started (pid %s)", strategy.name, child.pid)

    def _stop(self, script: StrategyScript, strategy: Strategy, why: str) -> None:
        pid = script.pid
        try:
            os.killpg(pid, signal.SIGTERM)
            deadline = time.monotonic() + STOP_GRACE_SECONDS
            while time.monotonic() < deadline and _alive(pid, folder(strategy.id) / script.filename):
                child = self._children.get(strategy.id)
                if child is not None and child.poll() is not None:
                    break
                time.sleep(0.05)
            else:
                os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        child = self._children.pop(strategy.id, None)
        script.exit_code = child.wait(5) if child is not None else None
        script.pid, script.stopped_at = None, self._now()
        script.last_event = f"stopped: {why}"
        self._note(strategy.id, script.last_event)
        log.info("hosted strategy %r stopped: %s", strategy.name, why)

    def shutdown(self) -> None:
        """Server shutdown: stop the processes this supervisor started (they start again with the server)."""
        with self._lock, self.app.app_context():
            for script, strategy in store.all_scripts():
                if strategy.id in self._children and script.pid:
                    self._stop(script, strategy, "server shutting down")
                    script.last_event = "stopped with the server; starts again with it"
            db.session.commit()


_EXTENSION = "openalgo.hosted_supervisor"


def attach(app: Flask, supervisor: Supervisor) -> None:
    app.extensions[_EXTENSION] = supervisor
