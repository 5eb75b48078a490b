"""Statements of the order hot path run on the DB-API cursor, compiled once per dialect.

An order request runs a handful of small, fixed statements (the API-key read, the paper engine's locked
reads and its writes). Through `Connection.execute` SQLAlchemy's per-execution machinery — execution
context, parameter and result processing objects — cost more CPU than the SQL itself (measured with the
GIL holder sampled under load). `DriverStatement` keeps what matters from SQLAlchemy — the SQL compiled
for the dialect, its parameter order, and each value's conversion by its type's own bind and result
processors (datetimes to and from SQLite's text, booleans, ...) — and runs it on the DB-API cursor of a
connection SQLAlchemy manages, inside that connection's transaction. Driver errors are raised as
SQLAlchemy's (IntegrityError, OperationalError, ...), as `Connection.execute` would.
"""
from __future__ import annotations

import functools
from collections import namedtuple
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable


class DriverStatement:
    __slots__ = ("sql", "names", "defaults", "bind_processors", "columns", "types", "dialect", "result_processors",
                 "returns", "error")

    def __init__(self, statement: Executable, dialect: Dialect, column_keys: tuple[str, ...] | None = None):
        compiled = statement.compile(dialect=dialect, column_keys=list(column_keys) if column_keys else None)
        if any(bind.expanding for bind in compiled.binds.values()):
            raise ValueError("IN-list parameters are rendered per execution; run this statement through SQLAlchemy")
        self.sql = compiled.string
        self.names = compiled.positiontup    # parameter order for positional paramstyles; None for named ones
        self.defaults = {name: bind.value for name, bind in compiled.binds.items()}   # literals in the statement
        self.bind_processors: dict[str, Callable[[Any], Any]] = {}
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.bind_processors[name] = processor
        selected = getattr(statement, "selected_columns", None)
        if compiled.effective_returning:
            selected = compiled.effective_returning
        self.columns = tuple(column.name for column in selected) if selected is not None else ()
        self.types = tuple(column.type.dialect_impl(dialect) for column in selected) if selected is not None else ()
        self.dialect = dialect
        self.result_processors: tuple | None = None   # from the first result's driver type codes
        self.returns = bool(self.columns)
        self.error: type[Exception] = dialect.loaded_dbapi.Error

    def _parameters(self, params: dict[str, Any]) -> Any:
        values = {**self.defaults, **params}
        for name, processor in self.bind_processors.items():
            values[name] = processor(values[name])
        return tuple(values[name] for name in self.names) if self.names else values

    def rows(self, dbapi_connection: Any, params: dict[str, Any]) -> list[tuple]:
        """Execute; the result rows (values converted by the result processors), [] for a write
        without RETURNING."""
        error = self.error
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(self.sql, self._parameters(params))
            if not self.returns:
                return []
            processors = self.result_processors
            if processors is None:   # some depend on the driver's type code (PostgreSQL numerics)
                processors = self.result_processors = tuple(
                    kind.result_processor(self.dialect, description[1])
                    for kind, description in zip(self.types, cursor.description))
            return [tuple(value if process is None else process(value) for process, value in zip(processors, row))
                    for row in cursor.fetchall()]
        except error as exc:
            raise DBAPIError.instance(self.sql, params, exc, error) from exc
        finally:
            cursor.close()

    def execute_many(self, dbapi_connection: Any, rows: list[dict[str, Any]]) -> None:
        """A write for each of `rows` (one plain execute for one row)."""
        cursor = dbapi_connection.cursor()
        try:
            if len(rows) == 1:
                cursor.execute(self.sql, self._parameters(rows[0]))
            else:
                cursor.executemany(self.sql, [self._parameters(row) for row in rows])
        except self.error as exc:
            raise DBAPIError.instance(self.sql, rows, exc, self.error) from exc
        finally:
            cursor.close()

    def mappings(self, dbapi_connection: Any, params: dict[str, Any]) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row)) for row in self.rows(dbapi_connection, params)]

    def first(self, dbapi_connection: Any, params: dict[str, Any]) -> Any:
        """The first row as a named tuple (columns as attributes), or None."""
        found = self.rows(dbapi_connection, params)
        return _row_type(self.columns)(*found[0]) if found else None


@contextmanager
def pooled_connection(engine: Engine) -> Iterator[Any]:
    """A DB-API connection from the engine's pool, returned to it afterwards (what was not committed is
    rolled back then)."""
    connection = engine.raw_connection()
    try:
        yield connection
    finally:
        connection.close()


@functools.lru_cache(maxsize=256)
def _row_type(columns: tuple[str, ...]) -> type:
    return namedtuple("DriverRow", columns)


@functools.lru_cache(maxsize=4096)
def compiled(statement: Executable, dialect: Dialect, column_keys: tuple[str, ...] | None = None) -> DriverStatement:
    """The statement compiled for `dialect` (once: statements are module constants or built from a
    table and a column set, so the cache stays small)."""
    return DriverStatement(statement, dialect, column_keys)
