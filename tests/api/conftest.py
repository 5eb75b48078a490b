"""REST API fixtures: an app with a user, an API key and a connected paper broker, and a poster."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services import broker_session
from tests.security.conftest import FAST_HASHER, create_user, issue_key


@dataclass
class Account:
    app: Flask
    client: FlaskClient
    user_id: int
    key: str

    def post(self, endpoint: str, **body: Any):
        return self.client.post(f"/api/v1/{endpoint}", json={"apikey": self.key, **body})


def make_account(app: Flask, username: str = "trader", connect: bool = True) -> Account:
    user_id = create_user(app, username, force=True)
    key = issue_key(app, user_id)
    if connect:
        with app.app_context():
            broker_session.connect(user_id, "paper")
    return Account(app, app.test_client(), user_id, key)


@pytest.fixture
def api_app(make_app, database_url: str) -> Flask:
    """On SQLite and on PostgreSQL."""
    return make_app(PASSWORD_HASHER=FAST_HASHER, ORDER_RATE_LIMIT="1000 per second",
                    API_RATE_LIMIT="1000 per second", DATABASE_URL=database_url, LOGS_DATABASE_URL=database_url)


@pytest.fixture
def account(api_app: Flask) -> Account:
    return make_account(api_app)
