"""API keys: issue, verify, rotate, reveal; the REST API's 403 and rate limits on keys."""
from __future__ import annotations

import re

from flask import Flask

from services import api_keys
from services.auth import ApiPrincipal, verify_api_key
from tests.security.conftest import create_user, csrf_token, issue_key, login, post_form

PONG = {"status": "success", "data": {"message": "pong", "broker": None}}
INVALID = {"status": "error", "message": "Invalid openalgo apikey"}


def test_key_is_256_bit_hex_and_verifies_to_its_owner(sec_db_app: Flask):
    user_id = create_user(sec_db_app)
    key = issue_key(sec_db_app, user_id)
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    with sec_db_app.app_context():
        assert verify_api_key(key) == ApiPrincipal(user_id=user_id, username="admin")
        assert verify_api_key(key[:-1] + ("0" if key[-1] != "0" else "1")) is None
        assert verify_api_key("") is None and verify_api_key("x" * 300) is None


def test_ping_answers_pong_for_a_valid_key_and_403_for_others(sec_db_app: Flask):
    key = issue_key(sec_db_app, create_user(sec_db_app))
    client = sec_db_app.test_client()
    assert client.post("/api/v1/ping", json={"apikey": key}).get_json() == PONG
    refused = client.post("/api/v1/ping", json={"apikey": "0" * 64})
    assert refused.status_code == 403 and refused.get_json() == INVALID
    missing = client.post("/api/v1/ping", json={})
    assert missing.status_code == 400 and "apikey" in missing.get_json()["message"]
    assert client.post("/api/v1/ping", json={"apikey": 12}).status_code == 400


def test_rotation_revokes_the_old_key_at_once(sec_db_app: Flask):
    user_id = create_user(sec_db_app)
    first = issue_key(sec_db_app, user_id)
    second = issue_key(sec_db_app, user_id)
    client = sec_db_app.test_client()
    assert client.post("/api/v1/ping", json={"apikey": first}).status_code == 403
    assert client.post("/api/v1/ping", json={"apikey": second}).get_json() == PONG
    with sec_db_app.app_context():
        assert api_keys.reveal(user_id) == second


def test_repeated_invalid_keys_from_one_ip_are_rate_limited(make_security_app):
    app = make_security_app(INVALID_APIKEY_RATE_LIMIT="3 per minute")
    key = issue_key(app, create_user(app))
    client = app.test_client()
    statuses = [client.post("/api/v1/ping", json={"apikey": f"guess-{n}"}).status_code for n in range(4)]
    assert statuses == [403, 403, 403, 429]
    blocked = client.post("/api/v1/ping", json={"apikey": "guess-again"})
    body = blocked.get_json()
    assert blocked.status_code == 429 and body["retry_after"] >= 1
    assert "invalid API key from this IP address" in body["message"] and "valid API key are still served" in \
        body["message"]
    # issue 17.2: a script still sending its rotated-out key must not lock out the new, valid key
    assert [client.post("/api/v1/ping", json={"apikey": key}).status_code for _ in range(3)] == [200] * 3
    assert client.post("/api/v1/ping", json={"apikey": "guess-more"}).status_code == 429
    other_ip = app.test_client()
    other_ip.environ_base["REMOTE_ADDR"] = "10.9.9.9"
    assert other_ip.post("/api/v1/ping", json={"apikey": key}).status_code == 200


def test_api_rate_limit_is_per_key_with_json_429(make_security_app):
    app = make_security_app(API_RATE_LIMIT="3 per minute")
    key_a = issue_key(app, create_user(app, "alice"))
    key_b = issue_key(app, create_user(app, "bob", force=True))
    client = app.test_client()
    statuses = [client.post("/api/v1/ping", json={"apikey": key_a}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.post("/api/v1/ping", json={"apikey": key_a})
    body = limited.get_json()
    assert body["status"] == "error" and body["message"].startswith("Rate limit exceeded")
    assert 1 <= body["retry_after"] <= 60 and limited.headers["Retry-After"] == str(body["retry_after"])
    assert client.post("/api/v1/ping", json={"apikey": key_b}).status_code == 200  # another key, own budget


def test_apikey_page_masks_reveals_by_ajax_and_regenerates_with_confirmation(sec_app: Flask):
    user_id = create_user(sec_app)
    client = sec_app.test_client()
    login(client, "admin")
    assert b"You have no API key yet" in client.get("/apikey").data
    post_form(client, "/apikey", "/apikey/regenerate")
    with sec_app.app_context():
        key = api_keys.reveal(user_id)
    page = client.get("/apikey").get_data(as_text=True)
    assert key not in page and key[:4] in page and key[-4:] in page

    assert client.post("/apikey/reveal").status_code == 400  # AJAX without the CSRF header
    token = csrf_token(client, "/apikey")
    revealed = client.post("/apikey/reveal", headers={"X-CSRFToken": token})
    assert revealed.get_json() == {"status": "success", "apikey": key}

    unconfirmed = post_form(client, "/apikey", "/apikey/regenerate")
    assert unconfirmed.status_code == 400 and b"Tick the box" in unconfirmed.data
    post_form(client, "/apikey", "/apikey/regenerate", confirm="y")
    with sec_app.app_context():
        assert api_keys.reveal(user_id) != key and verify_api_key(key) is None


def test_api_and_webhook_paths_are_csrf_exempt_but_pages_are_not(sec_app: Flask):
    create_user(sec_app)
    client = sec_app.test_client()
    assert client.post("/api/v1/ping", json={"apikey": "nope"}).status_code == 403  # not 400 CSRF
    assert client.post("/strategy/webhook/abc", json={}).status_code == 404  # route arrives with issue 9
    assert client.post("/apikey/regenerate").status_code == 400
