"""Fixtures for account and security tests: apps with a user, signed-in clients, CSRF tokens.

Argon2 runs with cheap parameters here (PASSWORD_HASHER) to keep the suite fast; the production
parameters are exercised by the rehash test.
"""
from __future__ import annotations

import re
from typing import Any, Callable

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from services import accounts, api_keys

FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PASSWORD = "correct-horse-42"
_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"|name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/auth/login") -> str:
    page = client.get(path)
    match = _CSRF.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path} ({page.status_code})"
    return match.group(1) or match.group(2)


def login(client: FlaskClient, username: str, password: str = PASSWORD, next_page: str | None = None):
    token = csrf_token(client)
    path = "/auth/login" + (f"?next={next_page}" if next_page else "")
    return client.post(path, data={"username": username, "password": password, "csrf_token": token})


def post_form(client: FlaskClient, page: str, action: str, **data: Any):
    """Submit a form found on `page` to `action`, as a browser would (with the page's CSRF token)."""
    return client.post(action, data={"csrf_token": csrf_token(client, page), **data})


def create_user(app: Flask, username: str = "admin", password: str = PASSWORD, *, force: bool = False) -> int:
    with app.app_context():
        return accounts.create_user(username, f"{username}@example.com", password, force=force).id


def issue_key(app: Flask, user_id: int) -> str:
    with app.app_context():
        return api_keys.issue(user_id, source="test")


@pytest.fixture
def make_security_app(make_app: Callable[..., Flask]) -> Callable[..., Flask]:
    def build(**settings: Any) -> Flask:
        return make_app(**{"PASSWORD_HASHER": FAST_HASHER, **settings})
    return build


@pytest.fixture
def sec_app(make_security_app) -> Flask:
    return make_security_app()


@pytest.fixture
def sec_db_app(make_security_app, database_url: str) -> Flask:
    """On SQLite and on PostgreSQL."""
    return make_security_app(DATABASE_URL=database_url, LOGS_DATABASE_URL=database_url)
