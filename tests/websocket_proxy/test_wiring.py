"""Production wiring: API keys through `services.auth` (another team's module, stood in for here by a
fake registered under its name), brokers without a streaming adapter, and the Flask app context."""
from __future__ import annotations

import asyncio
import sys
import types
from dataclasses import dataclass

from flask import current_app

from websocket_proxy.upstream import Principal
from websocket_proxy.wiring import ProductionWiring


@dataclass
class FoundKey:
    user_id: int
    username: str


def test_keys_are_verified_in_an_app_context_off_the_loop(app, monkeypatch):
    seen = {}

    def verify_api_key(api_key):
        seen["app"] = current_app._get_current_object()
        return FoundKey(7, "trader01") if api_key == "good-key" else None

    monkeypatch.setitem(sys.modules, "services.auth", types.SimpleNamespace(verify_api_key=verify_api_key))
    wiring = ProductionWiring(app.extensions["openalgo.settings"], app)
    try:
        assert asyncio.run(wiring.authenticate("good-key")) == Principal(7, "trader01", "paper")
        assert asyncio.run(wiring.authenticate("bad-key")) is None
        assert seen["app"] is app
        assert asyncio.run(wiring.lookup_symbol("SBIN", "NSE", "paper")) is True   # no master contract yet
        assert wiring.adapter_factory(Principal(7, "trader01", "nosuchbroker"), publisher=None) is None
        assert wiring.brokers[0] == "paper"
    finally:
        wiring.close()


def test_without_services_auth_every_key_is_refused(app, monkeypatch):
    monkeypatch.setitem(sys.modules, "services.auth", None)   # import fails
    wiring = ProductionWiring(app.extensions["openalgo.settings"], app)
    try:
        assert asyncio.run(wiring.authenticate("any-key")) is None
    finally:
        wiring.close()
