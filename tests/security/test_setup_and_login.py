"""First run, sign-in, sign-out, rate-limited logins, CSRF and the protected-page redirect."""
from __future__ import annotations

import time

from flask import Flask

from tests.security.conftest import PASSWORD, create_user, csrf_token, login, post_form


def test_fresh_install_redirects_every_browser_page_to_setup_and_setup_closes(sec_db_app: Flask):
    client = sec_db_app.test_client()
    for page in ("/", "/auth/login", "/apikey", "/profile"):
        response = client.get(page)
        assert response.status_code == 302 and response.headers["Location"] == "/setup", page
    assert client.get("/health").status_code == 200  # not browser pages: no redirect
    assert client.post("/api/v1/ping", json={"apikey": "x"}).status_code == 403

    token = csrf_token(client, "/setup")
    weak = client.post("/setup", data={"username": "admin", "email": "a@example.com", "password": "letters",
                                       "confirm": "letters", "csrf_token": token})
    assert weak.status_code == 400 and b"at least 8 characters" in weak.data
    same = client.post("/setup", data={"username": "admin1234", "email": "a@example.com", "password": "admin1234",
                                       "confirm": "admin1234", "csrf_token": token})
    assert b"must not be the same as the username" in same.data
    created = client.post("/setup", data={"username": "admin", "email": "a@example.com", "password": PASSWORD,
                                          "confirm": PASSWORD, "csrf_token": token})
    assert created.status_code == 302 and created.headers["Location"] == "/auth/login"

    assert client.get("/setup").status_code == 404
    assert client.get("/").headers["Location"].startswith("/auth/login")
    assert login(client, "admin").status_code == 302
    assert client.get("/").status_code == 200


def test_failed_login_does_not_say_whether_the_user_exists(sec_app: Flask):
    create_user(sec_app)
    client = sec_app.test_client()
    wrong_password = login(client, "admin", "wrong-password-1")
    no_such_user = login(client, "nobody", "wrong-password-1")
    assert wrong_password.status_code == no_such_user.status_code == 401
    assert wrong_password.data.replace(b"admin", b"nobody") == no_such_user.data.replace(b"admin", b"nobody")
    assert b"Wrong username or password." in wrong_password.data


def test_sixth_wrong_password_in_a_minute_gets_429_with_when_to_retry(sec_app: Flask):
    create_user(sec_app)
    client = sec_app.test_client()
    statuses = [login(client, "admin", f"wrong-{n}").status_code for n in range(6)]
    assert statuses == [401] * 5 + [429]
    blocked = login(client, "admin")
    assert blocked.status_code == 429 and b"Try again in" in blocked.data
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60


def test_right_password_works_again_after_the_window(make_security_app):
    # six sign-ins must land inside the window even on a loaded CI machine (each is a page read and a post)
    app = make_security_app(LOGIN_RATE_LIMIT_MIN="5 per 6 seconds")
    create_user(app)
    client = app.test_client()
    assert [login(client, "admin", "nope-1").status_code for _ in range(6)][-1] == 429
    time.sleep(6.1)
    assert login(client, "admin").status_code == 302


def test_login_is_limited_per_username_across_ips(sec_app: Flask):
    create_user(sec_app)
    for n in range(6):
        client = sec_app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{n + 1}"
        status = login(client, "admin", "wrong-password-1").status_code
    assert status == 429


def test_form_post_without_csrf_token_is_400_and_with_token_succeeds(sec_app: Flask):
    create_user(sec_app)
    client = sec_app.test_client()
    refused = client.post("/auth/login", data={"username": "admin", "password": PASSWORD})
    assert refused.status_code == 400 and b"CSRF" in refused.data and refused.mimetype == "text/html"
    assert login(client, "admin").status_code == 302


def test_logout_needs_csrf_and_ends_the_session(sec_app: Flask):
    create_user(sec_app)
    client = sec_app.test_client()
    login(client, "admin")
    assert client.post("/auth/logout").status_code == 400  # no token: still signed in
    assert client.get("/apikey").status_code == 200
    assert post_form(client, "/", "/auth/logout").headers["Location"] == "/auth/login"
    assert client.get("/apikey").headers["Location"].startswith("/auth/login")


def test_logout_signs_out_every_browser_of_the_user(sec_app: Flask):
    create_user(sec_app)
    laptop, phone = sec_app.test_client(), sec_app.test_client()
    login(laptop, "admin")
    login(phone, "admin")
    post_form(laptop, "/", "/auth/logout")
    assert phone.get("/profile").status_code == 302


def test_protected_page_keeps_the_wanted_page_and_refuses_foreign_next(sec_app: Flask):
    create_user(sec_app)
    client = sec_app.test_client()
    redirect_to_login = client.get("/audit?before=5")
    assert redirect_to_login.headers["Location"] == "/auth/login?next=/audit?before%3D5"
    assert login(client, "admin", next_page="/audit?before%3D5").headers["Location"] == "/audit?before=5"
    post_form(client, "/", "/auth/logout")
    assert login(client, "admin", next_page="//evil.example/x").headers["Location"] == "/"
    post_form(client, "/", "/auth/logout")
    assert login(client, "admin", next_page="https://evil.example/").headers["Location"] == "/"


def test_session_cookie_flags(make_security_app):
    app = make_security_app(HOST_SERVER="https://trade.example.com")
    create_user(app)
    client = app.test_client()
    cookie = login(client, "admin").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    plain = make_security_app()  # same database, http:// base URL
    assert "Secure" not in login(plain.test_client(), "admin").headers["Set-Cookie"]


def test_api_routes_ignore_the_browser_session_cookie(sec_app: Flask):
    """A signed-in browser's cookie gives the API nothing: the key is the only credential, and API
    answers never set or refresh the cookie."""
    create_user(sec_app)
    client = sec_app.test_client()
    login(client, "admin")
    assert client.get("/apikey").status_code == 200      # the cookie does sign this browser in
    for path in ("/api/v1/ping", "/api/v1/funds"):
        response = client.post(path, json={})
        assert response.status_code in (400, 403) and response.json["status"] == "error", path
        assert "Set-Cookie" not in response.headers, path
    assert client.get("/apikey").status_code == 200      # ...and still does afterwards
