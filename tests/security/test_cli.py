"""Headless administration: `flask --app app user ...` and `apikey ...`."""
from __future__ import annotations

import re

from flask import Flask

from services.auth import verify_api_key
from tests.security.conftest import login


def _run(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def test_user_create_refuses_a_second_admin_unless_forced(sec_app: Flask):
    first = _run(sec_app, "user", "create", "--username", "boss", "--email", "b@example.com", "--password", "pass-word-1")
    assert first.exit_code == 0 and "Created admin user 'boss'" in first.output
    second = _run(sec_app, "user", "create", "--username", "other", "--email", "o@example.com", "--password", "pass-word-2")
    assert second.exit_code != 0 and "admin already exists" in second.output
    weak = _run(sec_app, "user", "create", "--username", "x3x", "--email", "o@example.com", "--password", "short",
                "--force")
    assert weak.exit_code != 0 and "at least 8 characters" in weak.output
    forced = _run(sec_app, "user", "create", "--username", "other", "--email", "o@example.com",
                  "--password", "pass-word-2", "--force")
    assert forced.exit_code == 0


def test_set_password_then_login_with_it(sec_app: Flask):
    _run(sec_app, "user", "create", "--username", "boss", "--email", "b@example.com", "--password", "pass-word-1")
    changed = _run(sec_app, "user", "set-password", "--username", "boss", "--password", "fresh-pass-7")
    assert changed.exit_code == 0
    assert login(sec_app.test_client(), "boss", "fresh-pass-7").status_code == 302
    missing = _run(sec_app, "user", "set-password", "--username", "ghost", "--password", "fresh-pass-7")
    assert missing.exit_code != 0 and "No user named 'ghost'" in missing.output


def test_apikey_create_prints_the_key_alone_and_rotates(sec_app: Flask):
    _run(sec_app, "user", "create", "--username", "boss", "--email", "b@example.com", "--password", "pass-word-1")
    assert _run(sec_app, "apikey", "show", "--username", "boss").exit_code != 0
    first = _run(sec_app, "apikey", "create", "--username", "boss")
    assert first.exit_code == 0 and re.fullmatch(r"[0-9a-f]{64}\n", first.stdout)
    assert _run(sec_app, "apikey", "show", "--username", "boss").stdout == first.stdout
    second = _run(sec_app, "apikey", "create", "--username", "boss").stdout.strip()
    with sec_app.app_context():
        assert verify_api_key(first.stdout.strip()) is None
        assert verify_api_key(second).username == "boss"
    assert _run(sec_app, "apikey", "create", "--username", "ghost").exit_code != 0
