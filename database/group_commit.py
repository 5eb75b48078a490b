"""Group commit: many threads hand rows to one writer thread, which inserts whatever has queued up in a
single transaction and then wakes every waiter. Each caller returns only after its row is committed.

At concurrency 1 this is one short transaction per row; under load the cost of a commit (an fsync on
PostgreSQL) is shared by the whole batch.
"""
from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Engine

from utils.logging import get_logger

log = get_logger(__name__)

_STOP = object()


class JournalWriteError(Exception):
    """The row could not be committed (database down, constraint violated, writer stopped)."""


class GroupCommitWriter:
    def __init__(self, engine: Engine, table: Table, *, max_batch: int = 500):
        self._engine = engine
        self._table = table
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopped = False

    # ------------------------------------------------------------------------------ public
    def write(self, row: dict[str, Any], timeout: float = 10.0) -> None:
        """Queue `row` and block until it is committed; raises JournalWriteError otherwise."""
        future: Future = Future()
        self._ensure_started()
        if self._stopped:
            raise JournalWriteError("journal writer is stopped")
        self._queue.put((row, future))
        try:
            future.result(timeout)
        except JournalWriteError:
            raise
        except Exception as exc:  # timeout or a database error reported by the writer thread
            raise JournalWriteError(f"journal write failed: {type(exc).__name__}") from exc

    def stop(self, timeout: float = 10.0) -> None:
        """Flush what is queued and stop the thread (idempotent)."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            thread = self._thread
        if thread is not None:
            self._queue.put(_STOP)
            thread.join(timeout)

    # ------------------------------------------------------------------------------ internals
    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None and not self._stopped:
                self._thread = threading.Thread(target=self._run, name="journal-writer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            stop_after = False
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop_after = True
                    break
                batch.append(item)
            self._commit(batch)
            if stop_after:
                return

    def _commit(self, batch: list[tuple[dict[str, Any], Future]]) -> None:
        try:
            with self._engine.begin() as connection:
                connection.execute(self._table.insert(), [row for row, _ in batch])
        except Exception as exc:
            if len(batch) > 1:  # one bad row must not fail its neighbours: retry them one by one
                for item in batch:
                    self._commit([item])
                return
            log.error("Journal write failed: %s", type(exc).__name__)
            batch[0][1].set_exception(exc)
            return
        for _, future in batch:
            future.set_result(None)
