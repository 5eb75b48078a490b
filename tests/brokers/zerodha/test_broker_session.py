"""A Zerodha broker session end to end in the app: login by request token, token stored encrypted, the
06:00 IST cut-off, expiry reported by Kite mid-day, and logout revoking the token at Kite."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from broker.errors import TokenExpired
from broker.zerodha.mapping import IST
from database import db
from database.users import User
from services import broker_session
from tests.fakes.kite_server import API_KEY, API_SECRET, REQUEST_TOKEN, KiteServer
from utils.market_calendar import now_ist


@pytest.fixture
def kite():
    with KiteServer() as server:
        yield server


@pytest.fixture
def zerodha_app(database_url, make_app, kite):
    return make_app(DATABASE_URL=database_url, LOGS_DATABASE_URL=database_url, VALID_BROKERS="zerodha",
                    BROKER_API_KEY=API_KEY, BROKER_API_SECRET=API_SECRET, ZERODHA_API_URL=kite.url,
                    REDIRECT_URL="http://127.0.0.1:5000/zerodha/callback")


def _connected_user(app) -> int:
    user = User(username="trader", email="t@example.com", password_hash="-")
    db.session.add(user)
    db.session.commit()
    broker_session.connect(user.id, "zerodha", {"request_token": REQUEST_TOKEN, "status": "success"})
    return user.id


def test_login_stores_an_encrypted_token_valid_until_six_ist(zerodha_app, kite):
    with zerodha_app.app_context():
        user_id = _connected_user(zerodha_app)
        state = broker_session.state(user_id)
        assert state["state"] == "connected"
        until = state["connected_until"].astimezone(IST)
        assert (until.hour, until.minute) == (6, 0) and until - now_ist() <= timedelta(days=1)
        stored = " ".join(str(v) for v in db.session.execute(text("SELECT * FROM broker_sessions")).one())
        assert kite.access_token not in stored
        assert broker_session.live_session(user_id).session.auth_token == kite.access_token


def test_token_rejected_mid_day_marks_the_session_expired_without_retrying(zerodha_app, kite):
    with zerodha_app.app_context():
        user_id = _connected_user(zerodha_app)
        live = broker_session.live_session(user_id)
        kite.expire_token()
        with pytest.raises(TokenExpired):
            live.plugin.orders.order_book(live.session)
        assert len(kite.requests_to("/orders", "GET")) == 1
        broker_session.mark_expired(user_id)
        with pytest.raises(TokenExpired, match="Zerodha session has expired. Reconnect Zerodha"):
            broker_session.live_session(user_id)
        assert broker_session.state(user_id)["state"] == "expired"


def test_logout_revokes_the_token_at_kite(zerodha_app, kite):
    with zerodha_app.app_context():
        user_id = _connected_user(zerodha_app)
        assert broker_session.disconnect(user_id)
        [revoked] = kite.requests_to("/session/token", "DELETE")
        assert revoked.args["access_token"] == [kite.access_token]
        assert kite.token_valid is False and broker_session.state(user_id)["state"] == "disconnected"
