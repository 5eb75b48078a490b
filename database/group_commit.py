"""Group commit without a writer thread: the first request to arrive commits its own row and every row
queued behind it in one transaction (it is the leader); the others wait for their row's outcome. When
the leader is done and rows are still queued, it hands the leadership to the oldest waiting request.

At concurrency 1 a request simply commits its own row, with no hand-off between threads; under load
the cost of a commit (an fsync on PostgreSQL) is shared by the whole batch. Each caller returns only
after its row is committed.
"""
from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Engine

from database import driver_sql
from database.core import write_lock
from utils.logging import get_logger

log = get_logger(__name__)


class JournalWriteError(Exception):
    """The row could not be committed (database down, constraint violated, writer stopped)."""


class _Slot:
    """One queued row's waiting request: woken when its row is committed (or failed), or when it
    becomes the leader."""
    __slots__ = ("row", "event", "error", "lead")

    def __init__(self, row: dict[str, Any]):
        self.row = row
        self.event = threading.Event()
        self.error: BaseException | None = None
        self.lead = False


class GroupCommitWriter:
    def __init__(self, engine: Engine, table: Table, *, max_batch: int = 500):
        self._engine = engine
        self._insert = table.insert()
        self.transactions = 0   # committed so far (each holds one row or a whole batch)
        self._max_batch = max_batch
        self._mutex = threading.Lock()
        self._queued: list[_Slot] = []
        self._leading = False
        self._stopped = False

    def write(self, row: dict[str, Any]) -> None:
        """Commit `row` (alone or with others queued meanwhile); raises JournalWriteError on failure.

        Waiting is bounded by the database's own timeouts (SQLite's busy timeout, the pool timeout),
        which end the leader's commit with an error that every row of its batch then reports."""
        slot = _Slot(row)
        with self._mutex:
            if self._stopped:
                raise JournalWriteError("journal writer is stopped")
            self._queued.append(slot)
            if not self._leading:
                self._leading = slot.lead = True
        if not slot.lead:
            slot.event.wait()
        if slot.lead:
            self._lead()
        if slot.error is not None:
            raise JournalWriteError(f"journal write failed: {type(slot.error).__name__}") from slot.error

    def stop(self) -> None:
        """Refuse further rows (rows already queued are still committed by their leader)."""
        with self._mutex:
            self._stopped = True

    def _lead(self) -> None:
        with self._mutex:
            batch, self._queued = self._queued[:self._max_batch], self._queued[self._max_batch:]
        self._commit(batch)
        for slot in batch:
            if not slot.lead:
                slot.event.set()
        with self._mutex:
            if self._queued:
                successor = self._queued[0]
                successor.lead = True
                successor.event.set()
            else:
                self._leading = False

    def _commit(self, batch: list[_Slot]) -> None:
        # on the DB-API cursor, like the rest of the order path (database/driver_sql.py)
        insert = driver_sql.compiled(self._insert, self._engine.dialect, tuple(batch[0].row))
        try:
            with write_lock(self._engine), driver_sql.pooled_connection(self._engine) as connection:
                insert.execute_many(connection, [slot.row for slot in batch])
                connection.commit()
                self.transactions += 1
        except Exception as exc:
            if len(batch) > 1:  # one bad row must not fail its neighbours: retry them one by one
                for slot in batch:
                    self._commit([slot])
                return
            log.error("Journal write failed: %s", type(exc).__name__)
            batch[0].error = exc
