"""Daily session expiry (IST), password change, TOTP enrollment and password reset, audit page, rehash."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pyotp
import pytest
from argon2 import PasswordHasher
from flask import Flask

from database import users
from services import audit
from services.session_expiry import IST, expires_at
from tests.security.conftest import PASSWORD, create_user, login, post_form


class Clock:
    def __init__(self, start: datetime):
        self.current = start

    def __call__(self) -> datetime:
        return self.current


@pytest.mark.parametrize("login_ist, expected_ist", [
    ("2026-11-24 10:00", "2026-11-25 03:00"),
    ("2026-11-24 02:59", "2026-11-24 03:00"),
    ("2026-11-24 03:00", "2026-11-25 03:00"),
])
def test_expiry_is_the_next_expiry_time_in_ist(login_ist: str, expected_ist: str):
    login_at = datetime.strptime(login_ist, "%Y-%m-%d %H:%M").replace(tzinfo=IST)
    as_new_york = login_at.astimezone(timezone(timedelta(hours=-5)))  # the server's zone does not matter
    assert expires_at(as_new_york, "03:00") == datetime.strptime(expected_ist, "%Y-%m-%d %H:%M").replace(tzinfo=IST)


def test_session_ends_at_expiry_time_ist_and_login_keeps_the_wanted_page(make_security_app):
    clock = Clock(datetime(2026, 11, 24, 16, 0, tzinfo=IST))
    app = make_security_app(OPENALGO_CLOCK=clock, SESSION_EXPIRY_TIME="03:00")
    create_user(app)
    client = app.test_client()
    login(client, "admin")
    clock.current = datetime(2026, 11, 25, 2, 59, tzinfo=IST)
    assert client.get("/audit").status_code == 200
    clock.current = datetime(2026, 11, 25, 3, 0, tzinfo=IST)
    expired = client.get("/audit")
    assert expired.status_code == 302 and expired.headers["Location"] == "/auth/login?next=/audit"
    assert login(client, "admin", next_page="/audit").headers["Location"] == "/audit"


def test_password_change_needs_the_old_password_and_signs_out_other_browsers(sec_app: Flask):
    create_user(sec_app)
    here, elsewhere = sec_app.test_client(), sec_app.test_client()
    login(here, "admin")
    login(elsewhere, "admin")
    wrong = post_form(here, "/profile", "/profile/password", old_password="nope-123",
                      new_password="new-pass-123", confirm="new-pass-123")
    assert wrong.status_code == 400 and b"current password is wrong" in wrong.data
    weak = post_form(here, "/profile", "/profile/password", old_password=PASSWORD,
                     new_password="short1", confirm="short1")
    assert b"at least 8 characters" in weak.data
    ok = post_form(here, "/profile", "/profile/password", old_password=PASSWORD,
                   new_password="new-pass-123", confirm="new-pass-123")
    assert ok.status_code == 302
    assert here.get("/profile").status_code == 200
    assert elsewhere.get("/profile").status_code == 302
    assert login(elsewhere, "admin", PASSWORD).status_code == 401
    assert login(elsewhere, "admin", "new-pass-123").status_code == 302


def _enroll_totp(client, at: datetime) -> str:
    post_form(client, "/profile", "/profile/totp/start")
    page = client.get("/profile").get_data(as_text=True)
    assert 'src="data:image/svg+xml;base64,' in page  # QR rendered locally
    seed = re.search(r"Key: <code>([A-Z2-7]+)</code>", page).group(1)
    totp = pyotp.TOTP(seed)
    valid = {totp.at(at + timedelta(seconds=s)) for s in (-30, 0, 30)}
    wrong = next(f"{n:06d}" for n in range(10) if f"{n:06d}" not in valid)
    refused = post_form(client, "/profile", "/profile/totp/confirm", code=wrong)
    assert refused.status_code == 400 and b"not valid" in refused.data
    assert post_form(client, "/profile", "/profile/totp/confirm", code=totp.at(at)).status_code == 302
    return seed


def test_totp_enrollment_then_password_reset_with_the_code_once(make_security_app, database_url):
    clock = Clock(datetime(2026, 11, 24, 12, 0, 5, tzinfo=timezone.utc))
    app = make_security_app(DATABASE_URL=database_url, OPENALGO_CLOCK=clock, LOGIN_RATE_LIMIT_MIN="20 per minute")
    create_user(app)
    client = app.test_client()
    login(client, "admin")
    totp = pyotp.TOTP(_enroll_totp(client, clock.current))
    assert b"An authenticator is enrolled" in client.get("/profile").data
    post_form(client, "/", "/auth/logout")

    def reset(code: str, password: str):
        return post_form(stranger, "/auth/reset-password", "/auth/reset-password", username="admin", code=code,
                         new_password=password, confirm=password)

    stranger = app.test_client()
    assert reset(totp.at(clock.current), "reset-pass-9").status_code == 400  # the enrollment code is used up
    clock.current += timedelta(seconds=60)
    bad = reset("123456" if totp.at(clock.current) != "123456" else "654321", "reset-pass-9")
    assert bad.status_code == 400 and b"Username or authenticator code is wrong" in bad.data
    assert reset(totp.at(clock.current), "reset-pass-9").status_code == 302
    assert reset(totp.at(clock.current), "other-pass-9").status_code == 400  # no replay of a used code
    assert login(stranger, "admin", "reset-pass-9").status_code == 302


def test_audit_page_lists_the_users_security_events_with_ip_and_browser(sec_app: Flask):
    create_user(sec_app)
    client = sec_app.test_client()
    client.environ_base.update(REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="TestBrowser/1.0")
    login(client, "admin", "wrong-pass-1")
    login(client, "admin")
    post_form(client, "/apikey", "/apikey/regenerate")
    post_form(client, "/apikey", "/apikey/regenerate", confirm="y")
    post_form(client, "/", "/auth/logout")
    login(client, "admin")
    page = client.get("/audit").get_data(as_text=True)
    for text in ("Failed sign-in", "Signed in", "API key created", "API key regenerated", "Signed out",
                 "203.0.113.7", "TestBrowser/1.0"):
        assert text in page, text


def test_password_hash_is_argon2id_and_upgraded_at_login_when_parameters_change(make_security_app, database_url):
    old = make_security_app(DATABASE_URL=database_url, PASSWORD_HASHER=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    create_user(old)
    current = make_security_app(DATABASE_URL=database_url, PASSWORD_HASHER=PasswordHasher())
    with current.app_context():
        assert users.find_by_username("admin").password_hash.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert login(current.test_client(), "admin").status_code == 302
    with current.app_context():
        upgraded = users.find_by_username("admin").password_hash
    assert upgraded.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert login(current.test_client(), "admin").status_code == 302


def test_audit_page_pages_through_older_events(sec_app: Flask):
    from services import audit

    user_id = create_user(sec_app)
    with sec_app.app_context():
        for n in range(audit.PAGE_SIZE + 5):
            audit.record(user_id, "logout", note=f"event-{n}")
    client = sec_app.test_client()
    login(client, "admin")
    first = client.get("/audit").get_data(as_text=True)
    older = re.search(r'href="(/audit\?before=\d+)"', first).group(1)
    second = client.get(older).get_data(as_text=True)
    assert "note: event-0<" in second and "note: event-0<" not in first


def test_logout_also_ends_the_broker_session(sec_db_app: Flask):
    from services import broker_session

    user_id = create_user(sec_db_app, "trader")
    with sec_db_app.app_context():
        broker_session.connect(user_id, "paper")
        assert broker_session.live_session(user_id).plugin.manifest.name == "paper"
    client = sec_db_app.test_client()
    login(client, "trader")
    post_form(client, "/", "/auth/logout")
    with sec_db_app.app_context():
        assert broker_session.describe(broker_session.for_user(user_id))["state"] == "disconnected"
        events = [e.event for e in audit.entries(user_id)]
        assert "logout" in events and "broker_disconnected" in events
