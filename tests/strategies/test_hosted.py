"""Hosted Python strategies: a stored script runs as its own process on a schedule, writes its log,
stops on request and at the square-off time, survives a server restart (adopted, not started twice),
and runs under CPU/memory limits that leave threads and sockets working."""
from __future__ import annotations

import time
from datetime import datetime

import pytest

from services import hosted_strategies, strategies
from services.hosted_strategies import Supervisor
from utils.market_calendar import IST

TICKER = """
import os, time
print("key set:", bool(os.environ.get("OPENALGO_API_KEY")), "host:", os.environ["OPENALGO_HOST"],
      "var:", os.environ.get("MY_VAR"), "pepper leaked:", "API_KEY_PEPPER" in os.environ, flush=True)
while True:
    print("tick", flush=True)
    time.sleep(0.1)
"""


@pytest.fixture
def hosted_app(make_app, tmp_path):
    from tests.security.conftest import FAST_HASHER
    return make_app(PASSWORD_HASHER=FAST_HASHER, STRATEGY_WORKER=False, STRATEGY_DIR=str(tmp_path / "hosted"))


@pytest.fixture
def owner(hosted_app):
    from tests.api.conftest import make_account
    return make_account(hosted_app)


@pytest.fixture
def now():
    return {"at": datetime(2026, 11, 25, 10, 0, tzinfo=IST)}   # a Wednesday


def _script(app, user_id, code=TICKER, **fields):
    with app.app_context():
        strategy = strategies.create(user_id, name=fields.pop("name", "hosted"), platform="python",
                                     start_time="09:15", end_time="15:00", squareoff_time="15:15")
        hosted_strategies.save_script(user_id, strategy.id, code=code, env={"MY_VAR": "hello"}, **fields)
        hosted_strategies.set_enabled(user_id, strategy.id, True)
        return strategy.id


def _log(app, user_id, strategy_id):
    with app.app_context():
        return hosted_strategies.read_log(user_id, strategy_id)


def _status(app, user_id, strategy_id):
    with app.app_context():
        return hosted_strategies.status(user_id, strategy_id)


def _wait(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not condition():
        time.sleep(0.1)
    return condition()


def test_runs_logs_stops_on_request_and_at_square_off(hosted_app, owner, now):
    strategy_id = _script(hosted_app, owner.user_id)
    supervisor = Supervisor(hosted_app, clock=lambda: now["at"])
    try:
        supervisor.tick()
        assert _status(hosted_app, owner.user_id, strategy_id)["state"] == "running"
        assert _wait(lambda: "tick" in _log(hosted_app, owner.user_id, strategy_id))
        log = _log(hosted_app, owner.user_id, strategy_id)
        assert "key set: True" in log and "var: hello" in log and "pepper leaked: False" in log
        assert owner.key not in log

        with hosted_app.app_context():
            hosted_strategies.set_enabled(owner.user_id, strategy_id, False)
        supervisor.tick()
        assert _status(hosted_app, owner.user_id, strategy_id)["last_event"] == "stopped: stopped by the user"

        with hosted_app.app_context():
            hosted_strategies.set_enabled(owner.user_id, strategy_id, True)
        supervisor.tick()
        pid = _status(hosted_app, owner.user_id, strategy_id)["pid"]
        now["at"] = datetime(2026, 11, 25, 15, 14, tzinfo=IST)
        supervisor.tick()
        assert _status(hosted_app, owner.user_id, strategy_id)["pid"] == pid     # not before square-off
        now["at"] = datetime(2026, 11, 25, 15, 15, tzinfo=IST)
        supervisor.tick()
        state = _status(hosted_app, owner.user_id, strategy_id)
        assert state["state"] == "stopped" and "square-off time 15:15 IST reached" in state["last_event"]
        assert state["enabled"]   # it runs again tomorrow
    finally:
        supervisor.shutdown()


def test_a_restarted_server_adopts_the_running_script(hosted_app, owner, now):
    strategy_id = _script(hosted_app, owner.user_id)
    first = Supervisor(hosted_app, clock=lambda: now["at"])
    first.tick()
    pid = _status(hosted_app, owner.user_id, strategy_id)["pid"]
    restarted = Supervisor(hosted_app, clock=lambda: now["at"])   # the old one is gone without shutting down
    restarted.tick()
    assert _status(hosted_app, owner.user_id, strategy_id)["pid"] == pid
    with hosted_app.app_context():
        hosted_strategies.set_enabled(owner.user_id, strategy_id, False)
    restarted.tick()
    assert _status(hosted_app, owner.user_id, strategy_id)["state"] == "stopped"
    first._children.clear()


THREADS_AND_SOCKETS = """
import socket, threading
server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen()
results = []
def worker(n):
    client = socket.create_connection(server.getsockname()); conn, _ = server.accept()
    client.sendall(b"x"); results.append(conn.recv(1)); client.close(); conn.close()
threads = [threading.Thread(target=worker, args=(n,)) for n in range(32)]
[t.start() for t in threads]; [t.join() for t in threads]
print("threads and sockets ok:", len(results), flush=True)
try:
    hog = bytearray(1024 * 1024 * 1024)
except MemoryError:
    print("memory limit hit", flush=True)
"""


def test_limits_keep_threads_and_sockets_working(hosted_app, owner, now):
    strategy_id = _script(hosted_app, owner.user_id, code=THREADS_AND_SOCKETS, memory_mb=512)
    supervisor = Supervisor(hosted_app, clock=lambda: now["at"])
    try:
        supervisor.tick()
        assert _wait(lambda: "memory limit hit" in _log(hosted_app, owner.user_id, strategy_id))
        assert "threads and sockets ok: 32" in _log(hosted_app, owner.user_id, strategy_id)
    finally:
        supervisor.shutdown()


def test_cpu_limit_ends_a_runaway_script(hosted_app, owner, now):
    strategy_id = _script(hosted_app, owner.user_id, code="while True:\n    pass\n", cpu_seconds=1)
    supervisor = Supervisor(hosted_app, clock=lambda: now["at"])
    try:
        supervisor.tick()
        assert _wait(lambda: (supervisor.tick() or True)
                     and _status(hosted_app, owner.user_id, strategy_id)["state"] == "stopped", timeout=30)
        state = _status(hosted_app, owner.user_id, strategy_id)
        assert "CPU time limit" in state["last_event"] and not state["enabled"]
    finally:
        supervisor.shutdown()


def test_script_must_compile_and_variables_are_checked(hosted_app, owner):
    with hosted_app.app_context():
        strategy = strategies.create(owner.user_id, name="bad", platform="python")
        with pytest.raises(Exception, match="line 1"):
            hosted_strategies.save_script(owner.user_id, strategy.id, code="def broken(:\n")
        with pytest.raises(Exception, match="OPENALGO_API_KEY is set by the server"):
            hosted_strategies.parse_env("OPENALGO_API_KEY=x")


def test_a_script_that_ends_is_not_restarted_the_same_day(hosted_app, owner, now):
    strategy_id = _script(hosted_app, owner.user_id, code="print('done', flush=True)\n")
    supervisor = Supervisor(hosted_app, clock=lambda: now["at"])
    try:
        supervisor.tick()
        assert _wait(lambda: (supervisor.tick() or True)
                     and _status(hosted_app, owner.user_id, strategy_id)["state"] == "stopped")
        for _ in range(3):
            supervisor.tick()
        state = _status(hosted_app, owner.user_id, strategy_id)
        assert state["state"] == "stopped" and state["last_event"].startswith("finished:") and state["enabled"]
        assert _log(hosted_app, owner.user_id, strategy_id).count("done") == 1
    finally:
        supervisor.shutdown()


def test_deleting_the_strategy_ends_its_process(hosted_app, owner, now):
    import os
    strategy_id = _script(hosted_app, owner.user_id)
    supervisor = Supervisor(hosted_app, clock=lambda: now["at"])
    try:
        supervisor.tick()
        pid = _status(hosted_app, owner.user_id, strategy_id)["pid"]
        with hosted_app.app_context():
            strategies.delete(owner.user_id, strategy_id)
        supervisor.tick()
        assert not os.path.exists(f"/proc/{pid}")
    finally:
        supervisor.shutdown()
