"""The broker page: paper in one click, the master-contract status, disconnect, the Zerodha OAuth round
trip against the fake Kite server, and the guards (CSRF, login state)."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from services import audit, broker_session
from tests.dashboard.conftest import Browser, signed_in, wait_for_contract
from tests.fakes.kite_server import API_KEY, API_SECRET, REQUEST_TOKEN, KiteServer


def test_paper_connects_in_one_click_and_downloads_its_contract(dash_app: Flask):
    browser = signed_in(dash_app, connect=False)
    page = browser.client.get("/broker").get_data(as_text=True)
    assert 'id="connect-paper"' in page and "No broker is connected" in page
    response = browser.post_form("/broker/paper/connect")
    assert response.status_code == 302 and response.headers["Location"] == "/broker"
    status = wait_for_contract(browser)
    assert status["state"] == "success" and status["rows"] > 100
    page = browser.client.get("/broker").get_data(as_text=True)
    assert "Connected to" in page and f"Loaded: {status['rows']} instruments" in page
    assert 'id="force-download-form"' in page and 'id="force-download-form"\n        hidden' in page
    with dash_app.app_context():
        assert [e.event for e in audit.entries(browser.user_id)][0] == "broker_connected"


def test_disconnect_revokes_the_session_and_needs_csrf(browser: Browser):
    refused = browser.client.post("/broker/disconnect")
    assert refused.status_code == 400
    with browser.app.app_context():
        assert broker_session.state(browser.user_id)["state"] == "connected"
    assert browser.post_form("/broker/disconnect").status_code == 302
    with browser.app.app_context():
        assert broker_session.state(browser.user_id)["state"] == "disconnected"
    assert "No broker connected" in browser.client.get("/dashboard").get_data(as_text=True)


def test_unknown_or_disabled_broker_is_refused_with_the_reason(browser: Browser):
    response = browser.post_form("/broker/nosuchbroker/connect")
    assert response.status_code == 400 and "not installed" in response.get_data(as_text=True)


@pytest.fixture
def kite():
    with KiteServer() as server:
        yield server


@pytest.fixture
def zerodha_app(make_app, kite):
    from tests.security.conftest import FAST_HASHER
    return make_app(PASSWORD_HASHER=FAST_HASHER, VALID_BROKERS="zerodha", BROKER_API_KEY=API_KEY,
                    BROKER_API_SECRET=API_SECRET, ZERODHA_API_URL=kite.url,
                    REDIRECT_URL="http://127.0.0.1:5000/zerodha/callback")


def test_zerodha_oauth_round_trip_connects_through_the_callback(zerodha_app: Flask, kite: KiteServer):
    browser = signed_in(zerodha_app, connect=False)
    assert 'id="connect-zerodha"' in browser.client.get("/broker").get_data(as_text=True)
    start = browser.post_form("/broker/zerodha/connect")
    assert start.status_code == 302
    login = urlsplit(start.headers["Location"])
    assert (login.scheme, login.netloc, login.path) == ("https", "kite.zerodha.com", "/connect/login")
    query = parse_qs(login.query)
    assert query["api_key"] == [API_KEY] and query["v"] == ["3"]
    state = parse_qs(query["redirect_params"][0])["state"][0]
    # Kite sends the browser back with the request token and our redirect_params
    back = browser.client.get(f"/zerodha/callback?request_token={REQUEST_TOKEN}&action=login&status=success&state={state}")
    assert back.status_code == 302 and back.headers["Location"] == "/broker"
    with zerodha_app.app_context():
        assert broker_session.state(browser.user_id)["state"] == "connected"
        assert broker_session.live_session(browser.user_id).session.auth_token == kite.access_token
    assert "Zerodha · connected" in browser.client.get("/broker").get_data(as_text=True)
    assert wait_for_contract(browser)["state"] in ("success", "error")  # the download ran against the fake


def test_oauth_callback_without_a_started_login_or_with_another_state_is_refused(zerodha_app: Flask, kite):
    browser = signed_in(zerodha_app, connect=False)
    stray = browser.client.get(f"/zerodha/callback?request_token={REQUEST_TOKEN}&status=success")
    assert stray.status_code == 400 and "No zerodha login was started" in stray.get_data(as_text=True)
    browser.post_form("/broker/zerodha/connect")
    forged = browser.client.get(f"/zerodha/callback?request_token={REQUEST_TOKEN}&status=success&state=other")
    assert forged.status_code == 400
    with zerodha_app.app_context():
        assert broker_session.state(browser.user_id)["state"] == "none"
    assert not kite.requests_to("/session/token", "POST")


def test_oauth_login_refused_by_the_broker_shows_why(zerodha_app: Flask, kite):
    browser = signed_in(zerodha_app, connect=False)
    browser.post_form("/broker/zerodha/connect")
    back = browser.client.get("/zerodha/callback?status=cancelled")
    assert back.status_code == 400 and "Zerodha login did not complete (cancelled)" in back.get_data(as_text=True)


def test_failed_download_shows_the_reason_and_the_force_button(zerodha_app: Flask, kite: KiteServer):
    browser = signed_in(zerodha_app, connect=False)
    with zerodha_app.app_context():
        broker_session.connect(browser.user_id, "zerodha", {"request_token": REQUEST_TOKEN, "status": "success"})
    kite.fail_next(503, "NetworkException", "Instrument dump unavailable", times=20, paths=("/instruments",))
    assert browser.post_form("/broker/contract/download").status_code == 302
    status = wait_for_contract(browser)
    assert status["state"] == "error" and "HTTP 503" in status["error"]
    page = browser.client.get("/broker").get_data(as_text=True)
    assert "Download failed: BrokerUnavailable: zerodha is unavailable (HTTP 503)" in page
    assert 'id="force-download-form"\n        >' in page  # the retry button is shown


def test_totp_broker_shows_its_manifest_fields_and_connects(make_app):
    from tests.security.conftest import FAST_HASHER
    app = make_app(PASSWORD_HASHER=FAST_HASHER, BROKER_PLUGIN_PACKAGES=("broker", "tests.dashboard.plugins"),
                   VALID_BROKERS="totpbroker")
    browser = signed_in(app, connect=False)
    start = browser.post_form("/broker/totpbroker/connect")
    assert start.status_code == 302 and start.headers["Location"] == "/broker/totpbroker/login"
    form = browser.client.get("/broker/totpbroker/login").get_data(as_text=True)
    for field, kind in (("client_id", "text"), ("password", "password"), ("totp", "text")):
        assert f'id="field-{field}" name="{field}"\n               type="{kind}"' in form
        assert f'<label class="form-label" for="field-{field}">' in form
    missing = browser.post_form("/broker/totpbroker/login", client_id="AB1234")
    assert missing.status_code == 400 and "Fill in: Password, TOTP code" in missing.get_data(as_text=True)
    wrong = browser.post_form("/broker/totpbroker/login", client_id="AB1234", password="nope", totp="123456")
    assert wrong.status_code == 400 and "Invalid client id, password or TOTP" in wrong.get_data(as_text=True)
    assert "nope" not in wrong.get_data(as_text=True)
    done = browser.post_form("/broker/totpbroker/login", client_id="AB1234", password="pw-ok", totp="123456")
    assert done.status_code == 302
    with app.app_context():
        assert broker_session.state(browser.user_id)["state"] == "connected"


def test_expired_zerodha_session_reconnects_through_kite_and_disconnect_revokes(zerodha_app: Flask, kite):
    browser = signed_in(zerodha_app, connect=False)
    with zerodha_app.app_context():
        broker_session.connect(browser.user_id, "zerodha", {"request_token": REQUEST_TOKEN, "status": "success"})
        broker_session.mark_expired(browser.user_id, "TokenException")
    page = browser.client.get("/orderbook").get_data(as_text=True)
    assert "Zerodha · session expired" in page and 'action="/broker/zerodha/connect"' in page
    again = browser.post_form("/broker/zerodha/connect")
    assert again.headers["Location"].startswith("https://kite.zerodha.com/connect/login?")
    state = parse_qs(parse_qs(urlsplit(again.headers["Location"]).query)["redirect_params"][0])["state"][0]
    assert browser.client.get(f"/zerodha/callback?request_token={REQUEST_TOKEN}&status=success&state={state}"
                              ).status_code == 302
    wait_for_contract(browser)  # the download the reconnect started has finished
    assert browser.post_form("/broker/disconnect").status_code == 302
    [revoked] = kite.requests_to("/session/token", "DELETE")
    assert revoked.args["access_token"] == [kite.access_token]
    with zerodha_app.app_context():
        assert broker_session.state(browser.user_id)["state"] == "disconnected"
