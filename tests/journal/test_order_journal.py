"""The order journal: durable before the response, batched under load, never storing the API key."""
from __future__ import annotations

import json
import os
import select as io_select   # `select` is SQLAlchemy's here
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from database import db
from database.core import write_lock
from database.journal import JournalEntry, entries_for_user
from database.users import User
from services import order_journal
from services.latency import LatencyTimer
from tests.conftest import TEST_SECRETS
from utils.config import PROJECT_ROOT


def _user(app: Flask, name: str = "trader") -> int:
    with app.app_context():
        user = User(username=name, email=f"{name}@example.com", password_hash="x")
        db.session.add(user)
        db.session.commit()
        return user.id


def _record(app: Flask, user_id: int, orderid: str, **request) -> None:
    with app.app_context():
        timer = LatencyTimer()
        with timer.stage("validation"):
            pass
        order_journal.record(user_id=user_id, action="placeorder",
                             request={"apikey": "k" * 64, "symbol": "SBIN", "strategy": "Python", **request},
                             response={"status": "success", "orderid": orderid}, http_status=200,
                             mode="live", broker="paper", timer=timer)


def test_entry_is_stored_without_the_api_key(db_app: Flask):
    user_id = _user(db_app)
    _record(db_app, user_id, "25112400000001")
    with db_app.app_context():
        [entry] = entries_for_user(user_id)
        assert entry.orderid == "25112400000001" and entry.status == "success" and entry.http_status == 200
        assert "apikey" not in json.loads(entry.request_json) and "k" * 64 not in entry.request_json
        assert entry.strategy == "Python" and entry.total_ms is not None and entry.validation_ms is not None


def test_concurrent_writers_all_land_and_stay_scoped_per_user(db_app: Flask):
    alice, bob = _user(db_app, "alice"), _user(db_app, "bob")
    errors: list[BaseException] = []

    def burst(user_id: int, prefix: str) -> None:
        try:
            for n in range(40):
                _record(db_app, user_id, f"{prefix}{n:04d}")
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=burst, args=(alice if i % 2 else bob, f"T{i}-")) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "writers still running after 60 s"
    assert not errors
    with db_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == 320
        assert len(entries_for_user(alice, limit=1000)) == 160
        assert all(e.user_id == bob for e in entries_for_user(bob, limit=1000))


def test_a_failing_row_does_not_fail_its_batch(db_app: Flask, caplog):
    user_id = _user(db_app)
    _record(db_app, user_id, "ok-1")
    _record(db_app, 999_999, "orphan")  # no such user: foreign key refuses it, logged, not raised
    _record(db_app, user_id, "ok-2")
    with db_app.app_context():
        assert [e.orderid for e in entries_for_user(user_id)] == ["ok-2", "ok-1"]
    assert "not written" in caplog.text


_KILLED_WRITER = """
import sys
from app import create_app
from database import db
from database.core import write_lock
from database.users import User
from services import order_journal
from services.latency import LatencyTimer
app = create_app({"ENV_FILE": None, "APP_KEY": sys.argv[2], "API_KEY_PEPPER": sys.argv[3],
                  "DATABASE_URL": sys.argv[1], "LOGS_DATABASE_URL": sys.argv[1]})
with app.app_context():
    user = User(username="k", email="k@example.com", password_hash="x")
    db.session.add(user); db.session.commit()
    order_journal.record(user_id=user.id, action="placeorder", request={"symbol": "SBIN"},
                         response={"status": "success", "orderid": "ACKED-1"}, http_status=200,
                         mode="live", broker="paper", timer=LatencyTimer())
    print("acknowledged", flush=True)
    import time; time.sleep(60)
"""


def test_acknowledged_entry_survives_kill_9(tmp_path: Path, database_url: str, make_app):
    script = tmp_path / "writer.py"
    script.write_text(_KILLED_WRITER)
    process = subprocess.Popen([sys.executable, str(script), database_url, TEST_SECRETS["APP_KEY"],
                                TEST_SECRETS["API_KEY_PEPPER"]], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    try:
        assert io_select.select([process.stdout], [], [], 30)[0], "the writer acknowledged nothing within 30 s"
        assert process.stdout.readline().strip() == "acknowledged"
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    app = make_app(DATABASE_URL=database_url, LOGS_DATABASE_URL=database_url)
    with app.app_context():
        assert db.session.scalar(select(JournalEntry.orderid)) == "ACKED-1"


def test_rows_queued_while_a_commit_waits_share_the_next_transaction(app: Flask):
    """Group commit: five requests arrive while the database is busy; the first commits its own row
    and the four queued behind it go in one transaction, not four."""
    user_id = _user(app)
    with app.app_context():
        engine, writer = db.engine, app.extensions["openalgo.journal_writer"]
    transactions_before = writer.transactions
    busy = write_lock(engine)
    busy.acquire()   # another writer of this process holds SQLite's write turn
    threads = [threading.Thread(target=_record, args=(app, user_id, f"Q{n}")) for n in range(5)]
    for thread in threads:
        thread.start()
        time.sleep(0.02)   # the first becomes the leader and waits for the lock; the rest queue
    deadline = time.monotonic() + 5
    while len(writer._queued) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    busy.release()
    for thread in threads:
        thread.join(10)
    assert writer.transactions - transactions_before == 2
    with app.app_context():
        assert sorted(e.orderid for e in entries_for_user(user_id)) == ["Q0", "Q1", "Q2", "Q3", "Q4"]
