"""The proxy reaches brokers only through the app's broker registry, like the app itself: a broker left
out of VALID_BROKERS neither serves the REST API nor streams, even to a user whose session is stored."""
from __future__ import annotations

import pytest

from broker.contract import AuthResult
from broker.streaming import FeedAdapter
from database import db
from database.users import User
from services import broker_session
from services.broker_session import NoBrokerSession
from utils.config import load_settings
from websocket_proxy.upstream import Principal
from websocket_proxy.wiring import ProductionWiring

KITE = {"ZERODHA_API_KEY": "kiteapikey", "ZERODHA_API_SECRET": "kiteapisecret",
        "ZERODHA_REDIRECT_URL": "http://127.0.0.1:5000/zerodha/callback"}


class Publisher:
    def publish(self, topic: str, payload: bytes) -> None:
        raise AssertionError("nothing is subscribed")


def _user_with_a_stored_zerodha_session(app) -> int:  # noqa: ANN001
    with app.app_context():
        user = User(username="trader", email="t@example.com", password_hash="-")
        db.session.add(user)
        db.session.commit()
        broker_session.store(user.id, "zerodha", AuthResult(auth_token="kite-access-token"))
        return user.id


def _wiring(app) -> ProductionWiring:  # noqa: ANN001
    wiring = ProductionWiring(load_settings(environ={}, env_file=None, overrides={
        "APP_KEY": "k" * 64, "API_KEY_PEPPER": "p" * 64}), app=app)
    return wiring


@pytest.mark.parametrize("enabled", [True, False])
def test_valid_brokers_decides_for_the_app_and_the_proxy_alike(make_app, enabled: bool):
    app = make_app(VALID_BROKERS="zerodha" if enabled else "paper", **KITE)
    user_id = _user_with_a_stored_zerodha_session(app)
    wiring = _wiring(app)
    try:
        with app.app_context():
            if enabled:
                assert broker_session.live_session(user_id).plugin.name == "zerodha"
            else:
                with pytest.raises(NoBrokerSession, match="not enabled on this server"):
                    broker_session.live_session(user_id)
            feed_broker, session = wiring._feed_of(user_id)
        assert feed_broker == ("zerodha" if enabled else "paper")
        assert ("zerodha" in wiring.brokers) is enabled and "paper" in wiring.brokers
        adapter = wiring.adapter_factory(Principal(user_id, "trader", "zerodha", session), Publisher())
        assert (adapter is not None) is enabled
        if enabled:
            assert isinstance(adapter, FeedAdapter) and adapter.broker == "zerodha"
        paper = wiring.adapter_factory(Principal(user_id, "trader", "paper"), Publisher())
        assert isinstance(paper, FeedAdapter) and paper.broker == "paper"
    finally:
        wiring.close()


def test_a_refused_feed_token_expires_that_session_only(make_app):
    import asyncio

    from broker.contract import BrokerSession

    app = make_app(VALID_BROKERS="zerodha", **KITE)
    user_id = _user_with_a_stored_zerodha_session(app)
    wiring = _wiring(app)
    try:
        older = Principal(user_id, "trader", "zerodha", BrokerSession(user_id=user_id, broker="zerodha",
                                                                      auth_token="an-older-token"))
        asyncio.run(wiring.session_rejected(older, "HTTP 403"))   # the user reconnected meanwhile: kept
        with app.app_context():
            assert broker_session.state(user_id)["state"] == "connected"
        with app.app_context():
            refused = wiring._feed_of(user_id)[1]
        asyncio.run(wiring.session_rejected(Principal(user_id, "trader", "zerodha", refused), "HTTP 403"))
        with app.app_context():
            state = broker_session.state(user_id)
            assert state["state"] == "expired" and "feed was refused" in state["reason"]
        assert asyncio.run(wiring.recheck_principal(older)).broker == "paper"   # until the user reconnects
    finally:
        wiring.close()
