"""Throw-away databases for tests: a file per test on SQLite, a fresh database per test on PostgreSQL.

The PostgreSQL server comes from TEST_DATABASE_URL (test.sh sets it, starting a server if none runs).
When none is reachable the PostgreSQL variants fail on CI and are skipped elsewhere, with the reason.
"""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from typing import Iterator

import psycopg
import pytest
from sqlalchemy.engine import make_url

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def pg_admin_url() -> str:
    return os.environ.get("TEST_DATABASE_URL", DEFAULT_PG_URL)


def _libpq(url: str) -> str:
    """SQLAlchemy URL → libpq URL (psycopg.connect does not know driver suffixes)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def require_postgres() -> str:
    url = pg_admin_url()
    try:
        psycopg.connect(_libpq(url), connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        reason = f"PostgreSQL not reachable at {make_url(url).render_as_string(hide_password=True)}: {exc}"
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI must run PostgreSQL tests; test.sh starts a server)")
        pytest.skip(reason + " (run ./test.sh, which starts one)")
    return url


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    admin = require_postgres()
    name = f"oa_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(admin), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq(admin), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
