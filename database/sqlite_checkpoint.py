"""WAL checkpoints for SQLite off the request path.

By default SQLite copies the write-ahead log back into the database file (a checkpoint, with an fsync)
inside whichever commit pushes the log past 1,000 pages. An order writes about 14 pages (its rows and
indexes, the trade, the position, the journal), so every ~70th order paid for a checkpoint: a 6-10 ms
stall that set the p99 of placeorder. Here the app's SQLite connections never checkpoint on commit; one
background thread per engine runs a PASSIVE checkpoint (which waits for nobody and blocks nobody) a few
times a second instead. The thread ends when its engine is disposed or garbage collected, or when its
database file is gone (test apps).
"""
from __future__ import annotations

import os
import threading
import weakref
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from utils.logging import get_logger

log = get_logger(__name__)

CHECKPOINT_SECONDS = 0.25
_RUNNING: "weakref.WeakKeyDictionary[Engine, threading.Event]" = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def start(engine: Engine) -> None:
    """Turn off on-commit checkpoints for `engine`'s connections and checkpoint in the background
    (SQLite files only; call before the engine opens its first connection). The thread stops when the
    engine is disposed and starts again with its next new connection."""
    path = engine.url.database
    if engine.dialect.name != "sqlite" or not path or path == ":memory:":
        return

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()
        _ensure_running(engine, path)

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "engine_disposed", _stop)


def _ensure_running(engine: Engine, path: str) -> None:
    with _LOCK:
        if engine in _RUNNING:
            return
        stop = _RUNNING[engine] = threading.Event()
    threading.Thread(target=_run, args=(weakref.ref(engine), path, stop), name="sqlite-checkpoint",
                     daemon=True).start()


def _stop(engine: Engine) -> None:
    with _LOCK:
        stop = _RUNNING.pop(engine, None)
    if stop is not None:
        stop.set()


def _run(engine_ref: "weakref.ref[Engine]", path: str, stop: threading.Event) -> None:
    while not stop.wait(CHECKPOINT_SECONDS):
        engine = engine_ref()
        if engine is None or not os.path.exists(path):
            return
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception as exc:  # a busy or vanishing database: try again next time
            log.debug("WAL checkpoint of %s skipped: %s", path, type(exc).__name__)
        del engine
