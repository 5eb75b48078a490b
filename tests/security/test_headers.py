"""Security headers on every response, and CORS for /api/v1/* only when configured."""
from __future__ import annotations

from flask import Flask

from tests.security.conftest import create_user


def test_pages_and_api_carry_security_headers(sec_app: Flask):
    create_user(sec_app)
    client = sec_app.test_client()
    for response in (client.get("/auth/login"), client.post("/api/v1/ping", json={"apikey": "x"}), client.get("/health")):
        headers = response.headers
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
    page = client.get("/auth/login").get_data(as_text=True)
    assert "https://" not in page and "http://" not in page  # every asset is local


def test_https_servers_send_hsts(make_security_app):
    assert "max-age" in make_security_app(HOST_SERVER="https://trade.example.com").test_client() \
        .get("/health").headers["Strict-Transport-Security"]
    assert "Strict-Transport-Security" not in make_security_app().test_client().get("/health").headers


def test_swagger_ui_keeps_working_under_its_csp(sec_app: Flask):
    policy = sec_app.test_client().get("/api/docs").headers["Content-Security-Policy"]
    assert "'sha256-" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]


def test_cors_is_off_by_default(sec_app: Flask):
    response = sec_app.test_client().options("/api/v1/ping", headers={
        "Origin": "https://tools.example.com", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_answers_allowed_origins_on_the_api_only(make_security_app):
    app = make_security_app(CORS_ENABLED="true", CORS_ALLOWED_ORIGINS="https://tools.example.com")
    client = app.test_client()
    preflight = client.options("/api/v1/ping", headers={
        "Origin": "https://tools.example.com", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Content-Type"})
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://tools.example.com"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    other = client.post("/api/v1/ping", json={"apikey": "x"}, headers={"Origin": "https://evil.example.com"})
    assert "Access-Control-Allow-Origin" not in other.headers
    page = client.get("/auth/login", headers={"Origin": "https://tools.example.com"})
    assert "Access-Control-Allow-Origin" not in page.headers
