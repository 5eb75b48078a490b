"""Connecting Dhan from the dashboard exactly as docs/brokers/dhan.md says: Broker page → Dhan → client id
and the access token from web.dhan.co → connected, the scrip master downloaded; a wrong token shows why.
With an API key configured, Connect goes through Dhan's consent login and back to /dhan/callback."""
from __future__ import annotations

from urllib.parse import urlparse

from flask import Flask

from services import broker_session
from tests.dashboard.conftest import FAST_HASHER, signed_in, wait_for_contract
from tests.fakes.dhan import ACCESS_TOKEN, CLIENT_ID, DhanServer
from tests.fakes.dhan.server import APP_ID, APP_SECRET, PIN, TOTP


def _app(make_app, dhan: DhanServer, **settings: str) -> Flask:
    return make_app(PASSWORD_HASHER=FAST_HASHER, VALID_BROKERS="dhan", DHAN_API_URL=dhan.url, DHAN_AUTH_URL=dhan.root,
                    DHAN_SCRIP_MASTER_URL=dhan.scrip_master_url, **settings)


def _state(app: Flask, user_id: int) -> dict:
    with app.app_context():
        return broker_session.state(user_id)


def test_the_token_form_connects_dhan_and_loads_its_scrip_master(make_app, dhan: DhanServer):
    app = _app(make_app, dhan)
    browser = signed_in(app, connect=False)
    assert 'id="connect-dhan"' in browser.client.get("/broker").get_data(as_text=True)
    start = browser.post_form("/broker/dhan/connect")
    assert start.status_code == 302 and start.headers["Location"].endswith("/broker/dhan/login")
    form = browser.client.get("/broker/dhan/login").get_data(as_text=True)
    assert all(f'name="{field}"' in form for field in ("client_id", "access_token", "pin", "totp"))
    done = browser.post_form("/broker/dhan/login", client_id=CLIENT_ID, access_token=ACCESS_TOKEN)
    assert done.status_code == 302, done.get_data(as_text=True)
    assert (_state(app, browser.user_id)["state"], _state(app, browser.user_id)["broker"]) == ("connected", "dhan")
    status = wait_for_contract(browser)
    assert status["state"] == "success" and status["rows"] == 29
    assert ACCESS_TOKEN not in browser.client.get("/broker").get_data(as_text=True)


def test_a_wrong_token_is_shown_and_nothing_is_connected(make_app, dhan: DhanServer):
    app = _app(make_app, dhan)
    browser = signed_in(app, connect=False)
    answer = browser.post_form("/broker/dhan/login", client_id=CLIENT_ID, access_token="yesterdays-token")
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert "Dhan refused the access token" in page and "yesterdays-token" not in page
    missing = browser.post_form("/broker/dhan/login", client_id=CLIENT_ID, access_token="")
    assert missing.status_code == 400 and "either an access token" in missing.get_data(as_text=True)
    assert _state(app, browser.user_id)["state"] != "connected"


def test_the_api_key_login_goes_through_dhans_consent_page(make_app, dhan: DhanServer):
    app = _app(make_app, dhan, DHAN_CLIENT_ID=CLIENT_ID, DHAN_API_KEY=APP_ID, DHAN_API_SECRET=APP_SECRET)
    browser = signed_in(app, connect=False)
    start = browser.post_form("/broker/dhan/connect")
    assert start.status_code == 302
    assert start.headers["Location"] == f"{dhan.root}/login/consentApp-login?consentAppId=consent-app-1"
    # Dhan's login page sends the browser back to the redirect URL registered with the API key
    back = dhan.app.test_client().get(urlparse(start.headers["Location"]).path + "?consentAppId=consent-app-1"
                                      "&redirect_url=http://localhost/dhan/callback")
    callback = urlparse(back.headers["Location"])
    done = browser.client.get(f"{callback.path}?{callback.query}")
    assert done.status_code == 302, done.get_data(as_text=True)
    assert _state(app, browser.user_id)["state"] == "connected"
    assert wait_for_contract(browser)["state"] == "success"      # the background download, before the fake stops


def test_pin_and_totp_instead_of_a_token(make_app, dhan: DhanServer):
    app = _app(make_app, dhan)
    browser = signed_in(app, connect=False)
    done = browser.post_form("/broker/dhan/login", client_id=CLIENT_ID, access_token="", pin=PIN, totp=TOTP)
    assert done.status_code == 302, done.get_data(as_text=True)
    assert _state(app, browser.user_id)["state"] == "connected"
    assert wait_for_contract(browser)["state"] == "success"
