"""The SQLAlchemy handle and how engines are configured for SQLite and PostgreSQL."""
from __future__ import annotations

import threading
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase

from utils.config import PROJECT_ROOT, Settings

# Stable constraint names keep Alembic autogenerate and PostgreSQL/SQLite migrations in agreement.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

SQLITE_BUSY_TIMEOUT_MS = 30_000


def resolve_url(url: str) -> str:
    """Make relative SQLite paths relative to the project folder and make sure their folder exists."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return url
    path = Path(parsed.database)
    if not path.is_absolute():
        path = PROJECT_ROOT / path
    path.parent.mkdir(parents=True, exist_ok=True)
    return parsed.set(database=str(path)).render_as_string(hide_password=False)


def engine_options(url: str, settings: Settings) -> dict[str, Any]:
    if make_url(url).get_backend_name() == "sqlite":
        # One file shared by threads of one process and by other processes: the pool hands each
        # thread its own connection; waits for a writer lock are bounded by the busy timeout. An order
        # request can hold three at once (its session, the paper broker's transaction, the journal
        # commit), so the pool keeps that many per server thread: connections opened beyond the pool
        # are closed again after use, and reopening one (with its PRAGMAs) on every request under load
        # cost more than the request's own queries.
        return {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
                "pool_size": 3 * settings.SERVER_THREADS, "max_overflow": settings.DB_MAX_OVERFLOW}
    return {
        "pool_size": settings.DB_POOL_SIZE,
        "max_overflow": settings.DB_MAX_OVERFLOW,
        "pool_timeout": settings.DB_POOL_TIMEOUT,
        "pool_recycle": settings.DB_POOL_RECYCLE,
        "pool_pre_ping": True,
    }


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:  # noqa: ANN001 (DB-API objects)
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the writer; synchronous=NORMAL in WAL mode keeps every committed
    # transaction across a process crash (kill -9), losing at most the last ones on power loss.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


_SQLITE_WRITE_LOCKS: dict[str, threading.RLock] = {}
_SQLITE_WRITE_LOCKS_GUARD = threading.Lock()


def write_lock(engine: Engine) -> AbstractContextManager:
    """Held around the hot write transactions (paper orders, the journal) of this process.

    SQLite has one writer at a time and a busy connection polls with growing sleeps, which under
    concurrent orders costs far more than the writes themselves; queueing the process's writers on a
    lock hands the database over at once. PostgreSQL locks rows itself: nothing to do there.
    """
    if engine.dialect.name != "sqlite":
        return nullcontext()
    key = str(engine.url)
    lock = _SQLITE_WRITE_LOCKS.get(key)
    if lock is None:
        with _SQLITE_WRITE_LOCKS_GUARD:
            lock = _SQLITE_WRITE_LOCKS.setdefault(key, threading.RLock())
    return lock


def configure(app: Flask, settings: Settings) -> None:
    """Put the SQLAlchemy settings into the Flask config (before `init_app`)."""
    main_url = resolve_url(settings.DATABASE_URL)
    logs_url = resolve_url(settings.LOGS_DATABASE_URL)
    app.config["SQLALCHEMY_DATABASE_URI"] = main_url
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(main_url, settings)
    app.config["SQLALCHEMY_BINDS"] = {"logs": {"url": logs_url, **engine_options(logs_url, settings)}}


def init_app(app: Flask, settings: Settings) -> None:
    configure(app, settings)
    import database.models  # noqa: F401  (registers every model on the metadata)

    db.init_app(app)
    from database import sqlite_checkpoint

    with app.app_context():
        for engine in db.engines.values():
            sqlite_checkpoint.start(engine)


def ping() -> dict[str, Any]:
    """Round-trip to the main database; used by the health check."""
    started = time.perf_counter()
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        state = "up"
        error = None
    except Exception as exc:  # any driver error means the database is not usable right now
        db.session.rollback()
        state, error = "down", type(exc).__name__
    result = {"status": state, "backend": db.engine.dialect.name,
              "latency_ms": round((time.perf_counter() - started) * 1000, 2)}
    if error:
        result["error"] = error
    return result
