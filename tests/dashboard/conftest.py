"""Dashboard page fixtures: an app, a signed-in browser client (with its CSRF token), paper connected."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services import broker_session, master_contract
from services.brokers import registry
from tests.security.conftest import FAST_HASHER, create_user, csrf_token, issue_key, login


@dataclass
class Browser:
    """A signed-in test client that sends AJAX POSTs the way static/js/app.js does."""
    app: Flask
    client: FlaskClient
    user_id: int
    key: str

    def token(self, page: str = "/apikey") -> str:
        return csrf_token(self.client, page)

    def post_json(self, url: str, body: dict[str, Any] | None = None):
        return self.client.post(url, json=body or {}, headers={"X-CSRFToken": self.token()})

    def post_form(self, url: str, **data: Any):
        return self.client.post(url, data={"csrf_token": self.token(), **data})

    def api(self, endpoint: str, **body: Any):
        return self.client.post(f"/api/v1/{endpoint}", json={"apikey": self.key, **body})

    def get_json(self, url: str):
        response = self.client.get(url)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()


def signed_in(app: Flask, username: str = "trader", connect: bool = True) -> Browser:
    user_id = create_user(app, username, force=True)
    key = issue_key(app, user_id)
    if connect:
        with app.app_context():  # as `flask broker connect` does: session, then today's instrument list
            broker_session.connect(user_id, "paper")
            if master_contract.status("paper")["state"] != "success":
                master_contract.download("paper", registry().get("paper"))
    client = app.test_client()
    assert login(client, username).status_code == 302
    return Browser(app, client, user_id, key)


def wait_for_contract(browser: Browser, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = browser.get_json("/broker/contract/status")
        if status["state"] in ("success", "error"):
            return status
        time.sleep(0.1)
    raise AssertionError(f"master contract still {status['state']} after {timeout} s")


def read_stream(stream: Iterator[str | bytes], timeout: float = 15.0) -> str:
    """The rest of an event stream's body, which must end within `timeout` seconds (the server writes
    at least every events.FALLBACK_SECONDS, so the deadline is checked between writes)."""
    deadline = time.monotonic() + timeout
    parts = []
    for chunk in stream:
        parts.append(chunk if isinstance(chunk, str) else chunk.decode())
        if time.monotonic() > deadline:
            getattr(stream, "close", lambda: None)()
            raise AssertionError(f"the event stream was still open after {timeout} s: {''.join(parts)[-300:]!r}")
    return "".join(parts)


@pytest.fixture
def dash_app(make_app) -> Flask:
    return make_app(PASSWORD_HASHER=FAST_HASHER, ORDER_RATE_LIMIT="1000 per second", API_RATE_LIMIT="1000 per second")


@pytest.fixture
def browser(dash_app: Flask) -> Browser:
    return signed_in(dash_app)
