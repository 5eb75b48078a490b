"""Apps with the fake broker installed and a user to connect it for."""
from __future__ import annotations

from typing import Callable

import pytest
from flask import Flask

from database import db
from database.users import User

FAKE_PACKAGES = ("broker", "tests.contract.plugins")


@pytest.fixture
def fake_settings(database_url: str) -> dict:
    return {"DATABASE_URL": database_url, "LOGS_DATABASE_URL": database_url,
            "BROKER_PLUGIN_PACKAGES": FAKE_PACKAGES, "VALID_BROKERS": "fakebroker"}


@pytest.fixture
def fake_app(make_app: Callable[..., Flask], fake_settings: dict) -> Flask:
    """Like db_app (SQLite and PostgreSQL), with the fake broker allowed."""
    return make_app(**fake_settings)


def add_user(username: str = "trader") -> int:
    user = User(username=username, email=f"{username}@example.com", password_hash="-")
    db.session.add(user)
    db.session.commit()
    return user.id
