"""Connecting Shoonya and Flattrade from the dashboard exactly as docs/brokers/noren.md says: Broker page
→ Shoonya → Shoonya's OAuth page → back to /shoonya/callback with the code → connected, the symbol files
downloaded; a stale code shows why. Flattrade: Connect → Flattrade's login page → back to
/flattrade/callback with the request code."""
from __future__ import annotations

from urllib.parse import urlparse

from flask import Flask

from services import broker_session
from tests.dashboard.conftest import FAST_HASHER, signed_in, wait_for_contract
from tests.fakes.noren.server import CLIENT_ID


def _app(make_app, noren, broker: str) -> Flask:
    return make_app(PASSWORD_HASHER=FAST_HASHER, VALID_BROKERS=broker, **noren.settings(broker))


def _state(app: Flask, user_id: int) -> dict:
    with app.app_context():
        return broker_session.state(user_id)


def _login_page_redirect(noren, location: str):
    """What the broker's login page does after the user signs in there: back to the registered callback."""
    page = urlparse(location)
    back = noren._http.app.test_client().get(f"{page.path}?{page.query}")
    assert back.status_code == 302, back.get_data(as_text=True)
    return urlparse(back.headers["Location"])


def test_shoonya_connects_through_its_oauth_page_and_callback(make_app, noren):
    app = _app(make_app, noren, "shoonya")
    browser = signed_in(app, connect=False)
    assert 'id="connect-shoonya"' in browser.client.get("/broker").get_data(as_text=True)
    noren.redirect_url = "http://localhost/shoonya/callback"    # registered with the API key at Shoonya
    stale = browser.post_form("/broker/shoonya/connect")
    assert stale.headers["Location"] == f"{noren.url}/OAuthlogin/authorize/oauth?client_id={CLIENT_ID}"
    refused = browser.client.get("/shoonya/callback?code=an-old-code")
    assert refused.status_code == 400 and "INVALID_VERIFIER" in refused.get_data(as_text=True)
    start = browser.post_form("/broker/shoonya/connect")
    callback = _login_page_redirect(noren, start.headers["Location"])
    done = browser.client.get(f"{callback.path}?{callback.query}")
    assert done.status_code == 302, done.get_data(as_text=True)
    assert (_state(app, browser.user_id)["state"], _state(app, browser.user_id)["broker"]) == ("connected", "shoonya")
    status = wait_for_contract(browser)
    assert status["state"] == "success" and status["rows"] == 8
    page = browser.client.get("/broker").get_data(as_text=True)
    assert noren.access_token not in page and noren.session_token not in page


def test_flattrade_connects_through_its_login_page_and_callback(make_app, noren):
    app = _app(make_app, noren, "flattrade")
    browser = signed_in(app, connect=False)
    start = browser.post_form("/broker/flattrade/connect")
    assert start.status_code == 302 and start.headers["Location"].startswith(f"{noren.url}/auth/?app_key=")
    noren.redirect_url = "http://localhost/flattrade/callback"    # registered with the API key at Flattrade
    callback = _login_page_redirect(noren, start.headers["Location"])
    done = browser.client.get(f"{callback.path}?{callback.query}")
    assert done.status_code == 302, done.get_data(as_text=True)
    assert (_state(app, browser.user_id)["state"], _state(app, browser.user_id)["broker"]) == ("connected", "flattrade")
    assert wait_for_contract(browser)["state"] == "success"
