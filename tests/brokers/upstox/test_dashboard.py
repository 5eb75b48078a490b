"""Connecting Upstox from the dashboard exactly as docs/brokers/upstox.md says: Broker page → Upstox →
Connect → Upstox's login dialog (here the fake's, which redirects at once) → back to /upstox/callback with
the code and our state → connected, the instrument file downloaded; a forged state or a refused code
connects nothing."""
from __future__ import annotations

from typing import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask

from services import broker_session
from tests.dashboard.conftest import FAST_HASHER, signed_in, wait_for_contract
from tests.fakes.upstox import CLIENT_ID, CLIENT_SECRET, UpstoxServer

REDIRECT_URL = "http://127.0.0.1:5000/upstox/callback"


@pytest.fixture
def upstox() -> Iterator[UpstoxServer]:
    with UpstoxServer() as server:
        yield server


@pytest.fixture
def upstox_app(make_app, upstox: UpstoxServer) -> Flask:
    return make_app(PASSWORD_HASHER=FAST_HASHER, VALID_BROKERS="upstox", UPSTOX_API_KEY=CLIENT_ID,
                    UPSTOX_API_SECRET=CLIENT_SECRET, UPSTOX_REDIRECT_URL=REDIRECT_URL, UPSTOX_API_URL=upstox.url,
                    UPSTOX_ORDER_URL=upstox.url, UPSTOX_INSTRUMENTS_URL=upstox.instruments_url)


def _login_at_upstox(start_location: str) -> str:
    """The browser's trip through Upstox's dialog: where Upstox sends it back (path and query)."""
    back = requests.get(start_location, allow_redirects=False, timeout=10)
    assert back.status_code == 302
    location = urlsplit(back.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URL
    return f"{location.path}?{location.query}"


def test_oauth_round_trip_connects_and_loads_the_instrument_file(upstox_app: Flask, upstox: UpstoxServer):
    browser = signed_in(upstox_app, connect=False)
    assert 'id="connect-upstox"' in browser.client.get("/broker").get_data(as_text=True)
    start = browser.post_form("/broker/upstox/connect")
    assert start.status_code == 302
    dialog = urlsplit(start.headers["Location"])
    assert dialog.path == "/v2/login/authorization/dialog"
    query = parse_qs(dialog.query)
    assert query["client_id"] == [CLIENT_ID] and query["redirect_uri"] == [REDIRECT_URL] and query["state"][0]
    back = browser.client.get(_login_at_upstox(start.headers["Location"]))
    assert back.status_code == 302 and back.headers["Location"] == "/broker", back.get_data(as_text=True)
    with upstox_app.app_context():
        assert broker_session.state(browser.user_id)["state"] == "connected"
        assert broker_session.live_session(browser.user_id).session.auth_token == upstox.access_token
    page = browser.client.get("/broker").get_data(as_text=True)
    assert "Upstox · connected" in page and upstox.access_token not in page
    status = wait_for_contract(browser)
    assert status["state"] == "success" and status["rows"] > 10


def test_a_forged_state_or_a_refused_code_connects_nothing(upstox_app: Flask, upstox: UpstoxServer):
    browser = signed_in(upstox_app, connect=False)
    browser.post_form("/broker/upstox/connect")
    forged = browser.client.get("/upstox/callback?code=upstoxauthcode1&state=other")
    assert forged.status_code == 400 and not upstox.requests_to("/v2/login/authorization/token")
    start = browser.post_form("/broker/upstox/connect")
    state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
    refused = browser.client.get(f"/upstox/callback?code=stale&state={state}")
    assert refused.status_code == 400 and "Upstox refused the login" in refused.get_data(as_text=True)
    with upstox_app.app_context():
        assert broker_session.state(browser.user_id)["state"] != "connected"
