"""Fixture chain: settings → app → client, with nothing global between tests.

`app` runs on a fresh SQLite file. Tests that touch storage should use `db_app`, which runs the test
twice: on SQLite and on a fresh PostgreSQL database (see tests/support/databases.py).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from flask import Flask

from app import create_app
from database import db
from tests.support.databases import fresh_postgres_database
from tests.support.openalgo_clients import CLIENT_VERSIONS, ClientVersion

TEST_SECRETS = {
    "APP_KEY": "test-app-key-0123456789abcdef0123456789abcdef",
    "API_KEY_PEPPER": "test-pepper-fedcba9876543210fedcba9876543210",
}


def sqlite_url(folder: Path, name: str = "openalgo.db") -> str:
    return f"sqlite:///{folder / name}"


@pytest.fixture
def base_settings(tmp_path: Path) -> dict[str, Any]:
    """Settings every test app starts from; tests add or replace keys."""
    return {
        **TEST_SECRETS,
        "ENV_FILE": None,  # never read the developer's .env
        "DATABASE_URL": sqlite_url(tmp_path),
        "LOGS_DATABASE_URL": sqlite_url(tmp_path, "logs.db"),
        "LOG_DIR": str(tmp_path / "log"),
        "TESTING": True,
        # no proxy runs beside a test app (tests that need one enable it and give it a port)
        "WEBSOCKET_PROXY_ENABLED": "false",
    }


@pytest.fixture
def make_app(base_settings: dict[str, Any]) -> Iterator[Callable[..., Flask]]:
    """Build apps with extra settings; engines are disposed at the end of the test."""
    apps: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        app = create_app({**base_settings, **overrides})
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()
    logging.getLogger().handlers[:] = [h for h in logging.getLogger().handlers
                                       if not getattr(h, "_openalgo_handler", False)]


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each storage test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path, "backend.db")
    else:
        with fresh_postgres_database() as url:
            yield url


@pytest.fixture
def db_app(database_url: str, make_app: Callable[..., Flask]) -> Flask:
    return make_app(DATABASE_URL=database_url, LOGS_DATABASE_URL=database_url)


@pytest.fixture(params=CLIENT_VERSIONS, ids=lambda version: f"openalgo-{version}")
def openalgo_client(request) -> Iterator[ClientVersion]:
    """The public openalgo client, once per supported version (tests/support/openalgo_clients.py)."""
    version = ClientVersion(request.param)
    yield version
    version.close()


def pytest_report_header(config: pytest.Config) -> str | None:
    """Say which day the app's clock shows when ./test.sh runs the suite under a shifted clock."""
    from utils import clock

    if not clock.SHIFT:
        return None
    return f"app clock shifted by {clock.SHIFT} (OPENALGO_CLOCK_SHIFT): now {clock.system_now():%Y-%m-%d %H:%M %Z}"
