"""Storage: migrations applied at start, models and migrations in agreement, backend settings."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from flask import Flask
from sqlalchemy import text

from database import db, migrate
from tests.conftest import TEST_SECRETS
from utils.config import PROJECT_ROOT


def test_migrations_are_applied_at_start(db_app: Flask):
    with db_app.app_context(), db.engine.connect() as connection:
        assert migrate.current_revision(connection) == migrate.head_revision()


def test_models_and_migrations_agree(db_app: Flask):
    with db_app.app_context():
        assert migrate.schema_drift(db.engine) == []


def test_upgrade_twice_is_harmless(db_app: Flask):
    with db_app.app_context():
        migrate.upgrade(db.engine)
        migrate.upgrade(db.engine)
        with db.engine.connect() as connection:
            assert migrate.current_revision(connection) == migrate.head_revision()


def test_sqlite_runs_in_wal_mode_with_busy_timeout(app: Flask):
    with app.app_context(), db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30000
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_postgres_pool_uses_configured_settings(make_app, database_url: str):
    app = make_app(DATABASE_URL=database_url, LOGS_DATABASE_URL=database_url, DB_POOL_SIZE="3")
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            assert db.engine.pool.size() == 3 and db.engine.pool._pre_ping
            assert db.engine.dialect.driver == "psycopg"


def test_db_upgrade_command_from_several_processes_at_once(tmp_path: Path, database_url: str):
    flask = str(Path(sys.executable).parent / "flask")
    env_file = tmp_path / "cli.env"
    env_file.write_text(f"APP_KEY='{TEST_SECRETS['APP_KEY']}'\nAPI_KEY_PEPPER='{TEST_SECRETS['API_KEY_PEPPER']}'\n"
                        f"DATABASE_URL='{database_url}'\nLOGS_DATABASE_URL='{database_url}'\n")
    env = {"PATH": "/usr/bin:/bin", "OPENALGO_ENV_FILE": str(env_file), "NO_COLOR": "1", "FLASK_SKIP_DOTENV": "1"}
    runs = [subprocess.Popen([flask, "--app", "app", "db", "upgrade"], cwd=PROJECT_ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        assert f"Database at revision {migrate.head_revision()}" in out
