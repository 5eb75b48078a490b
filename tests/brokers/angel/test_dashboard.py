"""Connecting Angel One from the dashboard exactly as docs/brokers/angel.md says: Broker page → Angel One →
client code, PIN and the current TOTP → connected, the scrip master downloaded; a wrong TOTP shows why."""
from __future__ import annotations

from typing import Iterator

import pytest
from flask import Flask

from services import broker_session
from tests.dashboard.conftest import FAST_HASHER, signed_in, wait_for_contract
from tests.fakes.angel import API_KEY, CLIENT_CODE, PIN, AngelServer


@pytest.fixture
def angel() -> Iterator[AngelServer]:
    with AngelServer() as server:
        yield server


@pytest.fixture
def angel_app(make_app, angel: AngelServer) -> Flask:
    return make_app(PASSWORD_HASHER=FAST_HASHER, VALID_BROKERS="angel", ANGEL_API_KEY=API_KEY,
                    ANGEL_API_URL=angel.url, ANGEL_MASTER_URL=angel.master_url)


def test_the_login_form_connects_angel_and_loads_its_scrip_master(angel_app: Flask, angel: AngelServer):
    browser = signed_in(angel_app, connect=False)
    assert 'id="connect-angel"' in browser.client.get("/broker").get_data(as_text=True)
    start = browser.post_form("/broker/angel/connect")
    assert start.status_code == 302 and start.headers["Location"].endswith("/broker/angel/login")
    form = browser.client.get("/broker/angel/login").get_data(as_text=True)
    assert all(f'name="{field}"' in form for field in ("client_code", "pin", "totp"))
    done = browser.post_form("/broker/angel/login", client_code=CLIENT_CODE, pin=PIN, totp=angel.totp())
    assert done.status_code == 302, done.get_data(as_text=True)
    with angel_app.app_context():
        state = broker_session.state(browser.user_id)
    assert (state["state"], state["broker"]) == ("connected", "angel")
    status = wait_for_contract(browser)
    assert status["state"] == "success" and status["rows"] > 10
    assert angel.jwt not in browser.client.get("/broker").get_data(as_text=True)


def test_a_wrong_totp_is_shown_and_nothing_is_connected(angel_app: Flask, angel: AngelServer):
    browser = signed_in(angel_app, connect=False)
    wrong = "000000" if angel.totp() != "000000" else "111111"
    answer = browser.post_form("/broker/angel/login", client_code=CLIENT_CODE, pin=PIN, totp=wrong)
    assert answer.status_code == 400
    assert "Could not connect angel: Angel One refused the login: Invalid totp" in answer.get_data(as_text=True)
    missing = browser.post_form("/broker/angel/login", client_code=CLIENT_CODE, pin=PIN, totp="")
    assert missing.status_code == 400 and "Fill in: TOTP code" in missing.get_data(as_text=True)
    with angel_app.app_context():
        assert broker_session.state(browser.user_id)["state"] != "connected"
