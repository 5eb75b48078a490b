"""Order locks: read-decide-write order paths (smart order, close position, cancel all, the options
multi-order, strategy exits and square-offs) serialised per user and symbol across threads, worker
processes and machines.

A smart order reads the net position and places the difference; two of them for the same symbol must not
both read the position before either order is placed, whichever gunicorn worker (or machine) serves them.
Two scopes:
  * a symbol scope (user, symbol, exchange, product): exclusive for that key, shared for the user;
  * the user scope (symbol None): exclusive for the whole user (close all, cancel all, multi-leg orders),
    so it waits for every symbol-scoped path of the user and they wait for it.

PostgreSQL: transaction-level advisory locks (`pg_advisory_xact_lock[_shared]`) on a connection of the
lock's own, held in an open transaction and released by its rollback, or by the server when the
process or connection dies. The paper engine's own transaction runs on another pooled connection and
commits before the lock is released, so the next holder reads what the previous one wrote. A lock
wait is bounded by LOCK_WAIT_SECONDS (`lock_timeout`), then `OrderLockTimeout`.

SQLite: `flock` on small files beside the database (`<database>.locks/`), opened per acquisition so
threads of one process exclude each other as processes do; the kernel drops them when a process dies.
The database's writer lock (BEGIN IMMEDIATE) is not used: held on a connection of the lock's own it
would block the paper engine's IMMEDIATE transaction on its connection (a deadlock until the busy
timeout), and held across a live broker's HTTP call it would stop every other writer (the journal,
other users' orders) for that long. An in-memory database serves one process: a threading lock suffices.
"""
from __future__ import annotations

import fcntl
import os
import threading
import zlib
from collections import defaultdict
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

LOCK_WAIT_SECONDS = 30
_USER_SCOPE = 0


class OrderLockTimeout(Exception):
    """Another order path of the same user (and symbol) held the lock longer than LOCK_WAIT_SECONDS."""


def symbol_key(symbol: str, exchange: str, product: str) -> int:
    """A stable 31-bit key for (symbol, exchange, product), never the user scope's 0."""
    return zlib.crc32(f"{symbol}|{exchange}|{product}".encode("utf-8", "surrogatepass")) & 0x7FFFFFFF or 1


@contextmanager
def order_lock(engine: Engine, user_id: int, symbol: str | None = None, exchange: str = "",
               product: str = "") -> Iterator[None]:
    """Hold the user's lock for (symbol, exchange, product), or the whole user's when `symbol` is None."""
    key = _USER_SCOPE if symbol is None else symbol_key(symbol, exchange, product)
    backend = engine.dialect.name
    if backend == "postgresql":
        with _local(user_id, key), _postgres(engine, user_id, key):
            yield
    elif backend == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        with _files(Path(engine.url.database), user_id, key):
            yield
    else:
        with _local(user_id, _USER_SCOPE):
            yield


# ------------------------------------------------------------------------------------------- in-process
_local_locks: defaultdict[tuple[int, int], threading.Lock] = defaultdict(threading.Lock)
_local_guard = threading.Lock()


@contextmanager
def _local(user_id: int, key: int) -> Iterator[None]:
    """Threads of one process queue here for a symbol key before taking a database connection to wait on
    (a pool of connections all waiting on one advisory lock would starve the rest of the process). The
    user scope is left to the database: it must also wait for every symbol key, which this cannot see."""
    if key == _USER_SCOPE:
        yield
        return
    with _local_guard:
        lock = _local_locks[(user_id, key)]
    with lock:
        yield


# ------------------------------------------------------------------------------------------- PostgreSQL
_PG_USER = "SELECT set_config('lock_timeout', %(wait)s, true), pg_advisory_xact_lock(%(user)s, 0)"
_PG_SYMBOL = ("SELECT set_config('lock_timeout', %(wait)s, true), pg_advisory_xact_lock_shared(%(user)s, 0), "
              "pg_advisory_xact_lock(%(user)s, %(key)s)")


_LOCK_NOT_AVAILABLE = "55P03"   # SQLSTATE of a lock wait that ran into lock_timeout


@contextmanager
def _postgres(engine: Engine, user_id: int, key: int) -> Iterator[None]:
    with engine.connect() as connection:
        try:
            connection.exec_driver_sql(_PG_USER if key == _USER_SCOPE else _PG_SYMBOL,
                                       {"wait": f"{LOCK_WAIT_SECONDS}s", "user": user_id, "key": key})
        except OperationalError as exc:
            connection.rollback()
            if getattr(exc.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
                raise OrderLockTimeout() from None
            raise
        try:
            yield
        finally:
            connection.rollback()   # ends the transaction: releases both advisory locks


# ------------------------------------------------------------------------------------------- SQLite
@contextmanager
def _files(database: Path, user_id: int, key: int) -> Iterator[None]:
    folder = database.with_name(database.name + ".locks")
    folder.mkdir(exist_ok=True)
    with ExitStack() as held:
        held.enter_context(_flock(folder / f"u{user_id}", fcntl.LOCK_EX if key == _USER_SCOPE else fcntl.LOCK_SH))
        if key != _USER_SCOPE:
            held.enter_context(_flock(folder / f"u{user_id}-{key}", fcntl.LOCK_EX))
        yield


@contextmanager
def _flock(path: Path, mode: int) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, mode)
        yield
    finally:
        os.close(fd)   # closing the only descriptor of this open file releases its flock
