"""Broker sessions: connected / expired / disconnected, tokens encrypted at rest, kept across restarts."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from broker.contract import AuthResult
from broker.errors import AuthError
from broker.registry import UnknownBroker
from database import db
from services import broker_session
from services.broker_session import BrokerSessionExpired, NoBrokerSession
from tests.broker.conftest import add_user
from utils.clock import system_now

pytestmark = pytest.mark.dates  # the day and time matter: ./test.sh reruns it under shifted clocks


def test_connect_gives_services_the_plugin_and_live_session(fake_app):
    with fake_app.app_context():
        user_id = add_user()
        info = broker_session.connect(user_id, "fakebroker")
        assert info["state"] == "connected" and info["broker"] == "fakebroker"
        live = broker_session.live_session(user_id)
        assert live.name == "fakebroker" and live.session.auth_token.startswith("fake-token-")
        assert live.session.broker_user_id == "FAKE01" and live.session.user_id == user_id
        assert live.session.auth_token not in repr(live.session)


def test_tokens_are_encrypted_at_rest_and_survive_a_restart(make_app, fake_settings):
    first = make_app(**fake_settings)
    with first.app_context():
        user_id = add_user()
        broker_session.store(user_id, "fakebroker", AuthResult(
            auth_token="tok-SECRET-123", feed_token="feed-SECRET-456", extra={"client": "AB12"},
            expires_at=system_now() + timedelta(hours=2)))
        stored = " ".join(str(v) for v in db.session.execute(text("SELECT * FROM broker_sessions")).one())
        assert "SECRET" not in stored and "AB12" not in stored
    restarted = make_app(**fake_settings)
    with restarted.app_context():
        session = broker_session.live_session(user_id).session
        assert (session.auth_token, session.feed_token, dict(session.extra)) == \
               ("tok-SECRET-123", "feed-SECRET-456", {"client": "AB12"})


def test_no_session_and_expired_session_are_clear_403_errors(fake_app):
    with fake_app.app_context():
        user_id = add_user()
        with pytest.raises(NoBrokerSession, match="No broker is connected") as none:
            broker_session.live_session(user_id)
        assert none.value.http_status == 403
        assert broker_session.state(user_id)["state"] == "none"
        broker_session.store(user_id, "fakebroker", AuthResult(
            auth_token="t", expires_at=system_now() - timedelta(minutes=1)))
        with pytest.raises(BrokerSessionExpired, match="Fake Broker session has expired") as expired:
            broker_session.live_session(user_id)
        assert expired.value.http_status == 403
        assert broker_session.state(user_id)["state"] == "expired"


def test_token_rejected_by_the_broker_marks_the_session_expired(fake_app):
    with fake_app.app_context():
        user_id = add_user()
        broker_session.connect(user_id, "fakebroker")
        broker_session.mark_expired(user_id, "token rejected")
        state = broker_session.state(user_id)
        assert state["state"] == "expired" and state["reason"] == "token rejected"
        with pytest.raises(BrokerSessionExpired):
            broker_session.live_session(user_id)
        broker_session.connect(user_id, "fakebroker")  # reconnecting starts afresh
        assert broker_session.state(user_id)["state"] == "connected"


def test_disconnect_wipes_tokens_and_ends_the_session(fake_app):
    with fake_app.app_context():
        user_id = add_user()
        broker_session.connect(user_id, "fakebroker")
        assert broker_session.disconnect(user_id, reason="logout") is True
        assert broker_session.disconnect(user_id) is False
        state = broker_session.state(user_id)
        assert state["state"] == "disconnected" and state["reason"] == "logout" and state["ended_at"]
        tokens = db.session.execute(text("SELECT auth_token_enc, feed_token_enc FROM broker_sessions")).one()
        assert tuple(tokens) == ("", "")
        with pytest.raises(NoBrokerSession):
            broker_session.live_session(user_id)


def test_connect_refuses_brokers_not_allowed_and_bad_credentials(fake_app):
    with fake_app.app_context():
        user_id = add_user()
        with pytest.raises(UnknownBroker, match="not installed"):
            broker_session.connect(user_id, "nosuchbroker")
        with pytest.raises(AuthError, match="invalid credentials"):
            broker_session.connect(user_id, "fakebroker", {"password": "wrong"})
        assert broker_session.state(user_id)["state"] == "none"
