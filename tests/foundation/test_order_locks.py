"""database/order_locks.py on SQLite (file locks) and PostgreSQL (advisory locks): a symbol scope excludes
the same symbol, not another; the user scope excludes every symbol of that user, not other users; the
locks hold between processes too."""
from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from database import order_locks
from database.order_locks import order_lock
from utils.config import PROJECT_ROOT


@pytest.fixture
def engine(database_url: str):
    built = create_engine(database_url, poolclass=NullPool)
    yield built
    built.dispose()


def _blocked(engine, first: tuple, second: tuple) -> bool:
    """Whether taking `second` waits while another thread holds `first`."""
    held, release, got = threading.Event(), threading.Event(), threading.Event()

    def holder() -> None:
        with order_lock(engine, *first):
            held.set()
            release.wait(10)

    def taker() -> None:
        with order_lock(engine, *second):
            got.set()

    threads = [threading.Thread(target=holder)]
    threads[0].start()
    assert held.wait(10)
    threads.append(threading.Thread(target=taker))
    threads[1].start()
    waited = not got.wait(0.4)
    release.set()
    for thread in threads:
        thread.join(10)
    assert got.is_set()   # taken once released, either way
    return waited


INFY = ("INFY", "NSE", "MIS")


def test_scopes(engine):
    assert _blocked(engine, (1, *INFY), (1, *INFY))
    assert not _blocked(engine, (1, *INFY), (1, "TCS", "NSE", "MIS"))
    assert not _blocked(engine, (1, *INFY), (1, "INFY", "NSE", "CNC"))
    assert _blocked(engine, (1, None), (1, *INFY))
    assert _blocked(engine, (1, *INFY), (1, None))
    assert not _blocked(engine, (1, None), (2, None))
    assert not _blocked(engine, (1, *INFY), (2, *INFY))


HOLD = """
import sys, time
from sqlalchemy import create_engine
from database.order_locks import order_lock
with order_lock(create_engine(sys.argv[1]), 7, "INFY", "NSE", "MIS"):
    print("held", flush=True)
    time.sleep(1.0)
"""


def test_another_process_waits(engine, database_url: str):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, database_url], cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with order_lock(engine, 7, None):
            waited = time.monotonic() - started
    finally:
        holder.wait(20)
    assert waited > 0.5


def test_postgres_wait_is_bounded(monkeypatch):
    from tests.support.databases import fresh_postgres_database

    with fresh_postgres_database() as url:
        engine = create_engine(url, poolclass=NullPool)
        monkeypatch.setattr(order_locks, "LOCK_WAIT_SECONDS", 1)
        held, release = threading.Event(), threading.Event()

        def holder() -> None:
            with order_lock(engine, 3, None):
                held.set()
                release.wait(10)

        thread = threading.Thread(target=holder)
        thread.start()
        try:
            assert held.wait(10)
            with pytest.raises(order_locks.OrderLockTimeout):
                with order_lock(engine, 3, *INFY):
                    pass
        finally:
            release.set()
            thread.join(10)
        engine.dispose()
