"""The raw database holds no API key, password or TOTP seed in clear (SQLite bytes, PostgreSQL rows)."""
from __future__ import annotations

import re
from pathlib import Path

import psycopg
from flask import Flask
from sqlalchemy.engine import make_url

from database import db
from tests.security.conftest import PASSWORD, create_user, login, post_form


def _raw_dump(app: Flask) -> bytes:
    with app.app_context():
        url = make_url(str(db.engine.url))
        db.engine.dispose()  # nothing cached in this process hides rows from the dump
    if url.get_backend_name() == "sqlite":
        path = Path(url.database)
        return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        rows = [repr(row) for table in tables for row in conn.execute(f'SELECT * FROM "{table}"')]
    return "\n".join(rows).encode()


def test_raw_database_has_no_secret_in_clear(sec_db_app: Flask):
    import pyotp

    create_user(sec_db_app)
    client = sec_db_app.test_client()
    login(client, "admin")
    post_form(client, "/apikey", "/apikey/regenerate")
    key = client.post("/apikey/reveal", headers={"X-CSRFToken": _meta_token(client)}).get_json()["apikey"]
    post_form(client, "/profile", "/profile/totp/start")
    seed = re.search(r"Key: <code>([A-Z2-7]+)</code>", client.get("/profile").get_data(as_text=True)).group(1)
    code = pyotp.TOTP(seed).now()
    assert post_form(client, "/profile", "/profile/totp/confirm", code=code).status_code == 302
    assert client.post("/api/v1/ping", json={"apikey": key}).status_code == 200

    dump = _raw_dump(sec_db_app)
    assert b"admin@example.com" in dump  # the dump really holds the rows
    for secret in (key, PASSWORD, seed):
        assert secret.encode() not in dump, "a secret is stored in clear"
        assert secret.lower().encode() not in dump.lower()


def _meta_token(client) -> str:
    page = client.get("/apikey").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
