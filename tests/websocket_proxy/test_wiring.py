"""Production wiring against the real services: API keys, the user's broker session, the master contract."""
from __future__ import annotations

import asyncio

from flask import Flask

from services import broker_session, master_contract
from tests.security.conftest import create_user, issue_key
from websocket_proxy.upstream import Principal
from websocket_proxy.wiring import ProductionWiring


def test_keys_broker_sessions_and_symbols(db_app: Flask):
    user_id = create_user(db_app, "trader01")
    key = issue_key(db_app, user_id)
    wiring = ProductionWiring(db_app.extensions["openalgo.settings"], db_app)
    try:
        assert asyncio.run(wiring.authenticate("0" * 64)) is None
        assert asyncio.run(wiring.authenticate(key)) == Principal(user_id, "trader01", "paper", None)
        # no contract loaded yet: nothing to check against
        assert asyncio.run(wiring.lookup_symbol("NOSUCH", "NSE", "paper")) is True

        with db_app.app_context():
            broker_session.connect(user_id, "paper")
            live = broker_session.live_session(user_id)
            assert master_contract.download("paper", live.plugin, session=live.session).state == "success"
        principal = asyncio.run(wiring.authenticate(key))
        assert principal.broker == "paper" and principal.credentials is not None
        assert asyncio.run(wiring.lookup_symbol("SBIN", "NSE", "paper"))
        assert asyncio.run(wiring.lookup_symbol("NOSUCH", "NSE", "paper")) is None
        assert wiring.adapter_factory(Principal(user_id, "trader01", "nosuchbroker"), publisher=None) is None
    finally:
        wiring.close()
