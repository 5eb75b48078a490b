"""Ownership: with two users, one user's API key never reads or changes the other's data.

Each user-owned area registers an `Owned` entry in `OWNED` (orders and strategies add theirs when they
arrive): `seed` stores something recognisable for a user, `read` returns what a principal can see
through the services the API uses, `change` modifies data as a principal. The same test runs for all.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Callable

import pytest
from flask import Flask

from database.journal import entries_for_user
from services import api_keys, audit, books, broker_session, orders, user_settings
from services.auth import ApiPrincipal, verify_api_key
from tests.security.conftest import create_user, login


def _place(user_id: int, marker: str) -> None:
    broker_session.connect(user_id, "paper")
    body = orders.place_order(user_id, {"strategy": marker, "symbol": "SBIN", "exchange": "NSE",
                                        "action": "BUY", "quantity": 1})
    assert body["status"] == "success", body


def _orderids(principal: ApiPrincipal) -> set[str]:
    body = books.orderbook(principal.user_id)
    return {row["orderid"] for row in body["data"]["orders"]}


@dataclass(frozen=True)
class Owned:
    name: str
    seed: Callable[[int, str], None]  # (user_id, marker): store data carrying `marker`
    read: Callable[[ApiPrincipal], set[Any]]  # everything the principal can see, as markers
    change: Callable[[ApiPrincipal, str], None]  # modify data as the principal


OWNED = [
    Owned("api key",
          seed=lambda user_id, marker: None,  # every user already has a key (see the test)
          read=lambda p: {api_keys.reveal(p.user_id)},
          change=lambda p, marker: api_keys.issue(p.user_id, source="test")),
    Owned("audit log",
          seed=lambda user_id, marker: audit.record(user_id, "login", note=marker),
          read=lambda p: {entry.details.get("note") for entry in audit.entries(p.user_id)} - {None},
          change=lambda p, marker: audit.record(p.user_id, "logout", note=marker)),
    Owned("settings",
          seed=lambda user_id, marker: user_settings.set_value(user_id, "analyzer_mode", marker),
          read=lambda p: set(user_settings.all_for_user(p.user_id).values()),
          change=lambda p, marker: user_settings.set_value(p.user_id, "analyzer_mode", marker)),
    Owned("orders", seed=_place, read=_orderids, change=lambda p, marker: _place(p.user_id, marker)),
    Owned("order journal",
          seed=_place,
          read=lambda p: {entry.strategy for entry in entries_for_user(p.user_id)},
          change=lambda p, marker: _place(p.user_id, marker)),
]


@pytest.mark.parametrize("owned", OWNED, ids=[o.name for o in OWNED])
def test_one_users_key_never_reaches_another_users_data(sec_db_app: Flask, owned: Owned):
    alice, bob = create_user(sec_db_app, "alice"), create_user(sec_db_app, "bob", force=True)
    with sec_db_app.app_context():
        key_a, key_b = api_keys.issue(alice, source="test"), api_keys.issue(bob, source="test")
        owned.seed(alice, "alice-data")
        owned.seed(bob, "bob-data")
        as_alice, as_bob = verify_api_key(key_a), verify_api_key(key_b)
        assert (as_alice.user_id, as_bob.user_id) == (alice, bob)
        bobs_before = owned.read(as_bob)
        assert not owned.read(as_alice) & bobs_before

        owned.change(as_alice, f"alice-{uuid.uuid4().hex[:6]}")
        assert owned.read(as_bob) == bobs_before
        assert not owned.read(as_alice) & bobs_before
        assert verify_api_key(key_b) == as_bob


def test_audit_page_shows_only_the_signed_in_users_events(sec_app: Flask):
    create_user(sec_app, "alice")
    create_user(sec_app, "bob", force=True)
    bob = sec_app.test_client()
    bob.environ_base.update(HTTP_USER_AGENT="BobBrowser/2")
    login(bob, "bob")
    alice = sec_app.test_client()
    login(alice, "alice")
    page = alice.get("/audit").get_data(as_text=True)
    assert "Signed in" in page and "BobBrowser" not in page
