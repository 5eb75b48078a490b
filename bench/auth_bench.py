"""Per-request API-key authentication cost (`services.auth.verify_api_key`), target < 0.2 ms.

Compares with floors measured in the same run: the bare keyed digest (HMAC-SHA256) and a bare
`SELECT 1` round trip on the same database session, so the table shows what the lookup itself adds.
Runs on a temporary SQLite file, and on PostgreSQL when TEST_DATABASE_URL (or the local default) answers.

    .venv/bin/python bench/auth_bench.py
"""
from __future__ import annotations

import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from argon2 import PasswordHasher  # noqa: E402
from sqlalchemy import text  # noqa: E402

from app import create_app  # noqa: E402
from database import db  # noqa: E402
from services import accounts, api_keys  # noqa: E402
from services.auth import verify_api_key  # noqa: E402
from utils.crypto import keyed_digest  # noqa: E402

TARGET_MS = 0.2
ROUNDS = 5000
SECRETS = {"APP_KEY": "bench-app-key-0123456789abcdef0123456789abcdef",
           "API_KEY_PEPPER": "bench-pepper-fedcba9876543210fedcba9876543210"}


def per_call_ms(func: Callable[[], object], rounds: int = ROUNDS) -> float:
    for _ in range(200):  # warm up caches, statement cache, connection
        func()
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(rounds):
            func()
        best = min(best, (time.perf_counter() - started) / rounds * 1000)
    return best


def measure(database_url: str, folder: Path) -> list[tuple[str, float]]:
    app = create_app({**SECRETS, "ENV_FILE": None, "DATABASE_URL": database_url,
                      "LOGS_DATABASE_URL": f"sqlite:///{folder / 'logs.db'}", "LOG_LEVEL": "WARNING",
                      "LOG_DIR": str(folder / "log"), "PASSWORD_HASHER": PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)})
    with app.app_context():
        for n in range(20):  # other users' keys in the table, not only ours
            user = accounts.create_user(f"user{n}", f"u{n}@example.com", "bench-pass-1", force=True)
            api_keys.issue(user.id, source="bench")
        key = api_keys.issue(accounts.create_user("trader", "t@example.com", "bench-pass-1", force=True).id, source="bench")
        pepper = SECRETS["API_KEY_PEPPER"]
        assert verify_api_key(key) is not None
        rows = [
            ("floor: keyed digest (HMAC-SHA256)", per_call_ms(lambda: keyed_digest(pepper, key))),
            ("floor: SELECT 1 on the session", per_call_ms(lambda: db.session.execute(text("SELECT 1")).scalar())),
            ("verify_api_key (valid key)", per_call_ms(lambda: verify_api_key(key))),
            ("verify_api_key (unknown key)", per_call_ms(lambda: verify_api_key("f" * 64))),
        ]
        db.session.rollback()
        for engine in db.engines.values():
            engine.dispose()
    return rows


def postgres_url() -> str | None:
    from tests.support.databases import _libpq, pg_admin_url

    import psycopg
    from sqlalchemy.engine import make_url

    admin = pg_admin_url()
    try:
        conn = psycopg.connect(_libpq(admin), autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        return None
    name = f"oa_bench_{uuid.uuid4().hex[:8]}"
    with conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(admin).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)


def drop_postgres(url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    from tests.support.databases import _libpq, pg_admin_url

    with psycopg.connect(_libpq(pg_admin_url()), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def main() -> int:
    results: list[tuple[str, str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        results += [("sqlite", name, ms) for name, ms in measure(f"sqlite:///{folder / 'bench.db'}", folder)]
        url = postgres_url()
        if url:
            try:
                results += [("postgresql", name, ms) for name, ms in measure(url, folder)]
            finally:
                drop_postgres(url)
    print(f"{'backend':<11} {'operation':<36} {'ms/call':>9}")
    for backend, name, ms in results:
        print(f"{backend:<11} {name:<36} {ms:9.4f}")
    worst = max(ms for _, name, ms in results if name.startswith("verify_api_key"))
    verdict = "OK" if worst < TARGET_MS else "OVER TARGET"
    print(f"\nworst verify_api_key: {worst:.4f} ms (target < {TARGET_MS} ms): {verdict}")
    return 0 if worst < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
