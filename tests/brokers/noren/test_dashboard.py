"""Connecting Shoonya and Flattrade from the dashboard exactly as docs/brokers/noren.md says: Broker page
→ Shoonya → user id, password and TOTP → connected, the symbol files downloaded; a wrong password shows
why. Flattrade: Connect → Flattrade's login page → back to /flattrade/callback with the request code."""
from __future__ import annotations

from urllib.parse import urlparse

from flask import Flask

from services import broker_session
from tests.dashboard.conftest import FAST_HASHER, signed_in, wait_for_contract
from tests.fakes.noren.server import PASSWORD, TOTP, USER_ID


def _app(make_app, noren, broker: str) -> Flask:
    return make_app(PASSWORD_HASHER=FAST_HASHER, VALID_BROKERS=broker, **noren.settings(broker))


def _state(app: Flask, user_id: int) -> dict:
    with app.app_context():
        return broker_session.state(user_id)


def test_the_login_form_connects_shoonya_and_loads_its_symbol_files(make_app, noren):
    app = _app(make_app, noren, "shoonya")
    browser = signed_in(app, connect=False)
    assert 'id="connect-shoonya"' in browser.client.get("/broker").get_data(as_text=True)
    start = browser.post_form("/broker/shoonya/connect")
    assert start.status_code == 302 and start.headers["Location"].endswith("/broker/shoonya/login")
    form = browser.client.get("/broker/shoonya/login").get_data(as_text=True)
    assert all(f'name="{field}"' in form for field in ("user_id", "password", "totp"))
    wrong = browser.post_form("/broker/shoonya/login", user_id=USER_ID, password="not-it", totp=TOTP)
    assert wrong.status_code == 400 and "Wrong Password" in wrong.get_data(as_text=True)
    assert "not-it" not in wrong.get_data(as_text=True)
    done = browser.post_form("/broker/shoonya/login", user_id=USER_ID, password=PASSWORD, totp=TOTP)
    assert done.status_code == 302, done.get_data(as_text=True)
    assert (_state(app, browser.user_id)["state"], _state(app, browser.user_id)["broker"]) == ("connected", "shoonya")
    status = wait_for_contract(browser)
    assert status["state"] == "success" and status["rows"] == 8
    assert noren.session_token not in browser.client.get("/broker").get_data(as_text=True)


def test_flattrade_connects_through_its_login_page_and_callback(make_app, noren):
    app = _app(make_app, noren, "flattrade")
    browser = signed_in(app, connect=False)
    start = browser.post_form("/broker/flattrade/connect")
    assert start.status_code == 302 and start.headers["Location"].startswith(f"{noren.url}/auth/?app_key=")
    noren.redirect_url = "http://localhost/flattrade/callback"    # registered with the API key at Flattrade
    back = noren._http.app.test_client().get(urlparse(start.headers["Location"]).path + "?" +
                                              urlparse(start.headers["Location"]).query)
    callback = urlparse(back.headers["Location"])
    done = browser.client.get(f"{callback.path}?{callback.query}")
    assert done.status_code == 302, done.get_data(as_text=True)
    assert (_state(app, browser.user_id)["state"], _state(app, browser.user_id)["broker"]) == ("connected", "flattrade")
    assert wait_for_contract(browser)["state"] == "success"
