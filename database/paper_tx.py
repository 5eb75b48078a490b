"""The paper engine's transaction: rows read for change, written back with plain SQL at the end.

The paper broker answers every order in the request, so its write path is on the hot path of
`placeorder`. Measured on the same statements, the ORM's entity loading and unit of work cost about
four times the SQL itself there, so the engine works on `PaperRow`s through a `PaperTx` instead: a
small, explicit version of the same idea (SQLAlchemy Core statements; identity per primary key;
assignments remembered and written as UPDATEs; new rows INSERTed; pending changes written before the
transaction reads again, so a query always sees what the call changed). The ORM models in
`database/paper.py` stay the schema and serve every other reader.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Mapping

from sqlalchemy import Table, bindparam, delete, insert, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Executable

from database import driver_sql


class PaperRow:
    """One row of a paper table: columns as attributes; assignments are remembered for the next flush."""
    __slots__ = ("_table", "_values", "_changed")

    def __init__(self, table: Table, values: dict[str, Any]):
        object.__setattr__(self, "_table", table)
        object.__setattr__(self, "_values", values)
        object.__setattr__(self, "_changed", set())

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"{self._table.name} has no column {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._table.c:
            raise AttributeError(f"{self._table.name} has no column {name!r}")
        self._values[name] = value
        self._changed.add(name)

    def __repr__(self) -> str:
        return f"<{self._table.name} {self._values.get('id')}>"


@dataclass(frozen=True)
class _TableStatements:
    insert: Executable
    update: Executable      # SET takes the columns of the parameters given with it
    delete: Executable


@functools.lru_cache(maxsize=None)
def _statements(table: Table) -> _TableStatements:
    """Built once per table (building a statement per row costs as much as running it)."""
    by_id = table.c.id == bindparam("row_id")
    return _TableStatements(insert(table).returning(table.c.id), update(table).where(by_id), delete(table).where(by_id))


class PaperTx:
    """Reads and writes of one engine call, on a connection inside its (locked) transaction."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self.info: dict[str, Any] = {}        # what the engine keeps for the rest of the call
        self._known: dict[tuple[str, int], PaperRow] = {}
        self._new: list[PaperRow] = []
        self._deleted: list[PaperRow] = []
        # rows this call wrote, in first-write order, with the columns written ({"*"} for a new row):
        # what the engine turns into order-update events after the transaction commits
        self.written: dict[tuple[str, int], tuple[PaperRow, set[str]]] = {}

    # ------------------------------------------------------------------------------------- reads
    def rows(self, table: Table, statement: Executable, params: dict[str, Any] | None = None) -> list[PaperRow]:
        """Whole rows of `table` selected by `statement`; a row already held is returned as that object."""
        self.flush()
        driver = driver_sql.compiled(statement, self.connection.dialect)
        return [self.adopt(table, mapping) for mapping in driver.mappings(self.connection.connection, params or {})]

    def first(self, table: Table, statement: Executable, params: dict[str, Any] | None = None) -> PaperRow | None:
        found = self.rows(table, statement, params)
        return found[0] if found else None

    def scalar(self, statement: Executable, params: dict[str, Any] | None = None) -> Any:
        self.flush()
        return self.connection.execute(statement, params or {}).scalar()

    def execute(self, statement: Executable, params: dict[str, Any] | None = None) -> Any:
        self.flush()
        return self.connection.execute(statement, params or {})

    def adopt(self, table: Table, values: Mapping[str, Any]) -> PaperRow:
        """The one object for this row in this call: the one already held, else a new one from `values`."""
        key = (table.name, values["id"])
        row = self._known.get(key)
        if row is None:
            row = self._known[key] = PaperRow(table, dict(values))
        return row

    # ------------------------------------------------------------------------------------- writes
    def add(self, table: Table, **values: Any) -> PaperRow:
        row = PaperRow(table, {"id": None, **values})
        self._new.append(row)
        return row

    def delete(self, row: PaperRow) -> None:
        if row in self._new:
            self._new.remove(row)
        else:
            self._deleted.append(row)

    def flush(self) -> None:
        """Write what changed: deletions first (a key may be deleted and created again), then new rows,
        then the changed columns of rows read."""
        for row in self._deleted:
            self.connection.execute(_statements(row._table).delete, {"row_id": row._values["id"]})
            self._known.pop((row._table.name, row._values["id"]), None)
        self._deleted.clear()
        dialect, dbapi_connection = self.connection.dialect, self.connection.connection
        for row in self._new:
            values = {k: v for k, v in row._values.items() if k != "id"}
            insert = driver_sql.compiled(_statements(row._table).insert, dialect, tuple(values))
            row._values["id"] = insert.rows(dbapi_connection, values)[0][0]
            row._changed.clear()
            key = (row._table.name, row._values["id"])
            self._known[key] = row
            self.written[key] = (row, {"*"})
        self._new.clear()
        for row in self._known.values():
            if row._changed:
                columns = tuple(sorted(row._changed))
                changes = {name: row._values[name] for name in columns}
                driver_sql.compiled(_statements(row._table).update, dialect, columns).rows(
                    dbapi_connection, {"row_id": row._values["id"], **changes})
                key = (row._table.name, row._values["id"])
                self.written.setdefault(key, (row, set()))[1].update(columns)
                row._changed.clear()
