"""Contract-suite fixtures: one app with every plugin (real ones under broker/ and the fake broker of
tests/contract/plugins), each plugin connected for a test user with its master contract loaded.

Plugins are found by folder, without importing them, so a plugin that fails to load still gets its
tests, and they fail saying why. A plugin whose login is interactive (oauth / form / totp) needs a
harness — the contract-suite hook, in the broker's own test folder: tests/brokers/<folder>/harness.py
(or tests/contract/harnesses/<name>.py) defining `SETTINGS` (its settings, e.g. the URL of its fake
server) and `credentials()` (what the login form or callback would send); without one its tests are
skipped with that reason.

OPENALGO_CONTRACT_PLUGIN=<module> (e.g. broker._template) runs the suite on that one plugin only, even
one discovery skips: how tests/brokers/_template/test_contract_hook.py proves the template.
"""
from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from typing import Any, Iterator

import pytest
from flask import Flask

from broker.contract import BrokerPlugin, BrokerSession, Instrument
from broker.registry import find_plugin_modules
from database import db
from database.users import User
from services import broker_session, master_contract
from services.brokers import registry

PLUGIN_PACKAGES = ("broker", "tests.contract.plugins")
ONLY = os.environ.get("OPENALGO_CONTRACT_PLUGIN", "")
if ONLY:
    PLUGIN_MODULES = {importlib.import_module(ONLY).MANIFEST.name: ONLY}
    PLUGIN_NAMES = list(PLUGIN_MODULES)
    FOLDERS = {name: ONLY.rsplit(".", 1)[-1] for name in PLUGIN_NAMES}
else:
    PLUGIN_MODULES = {}
    found = find_plugin_modules(PLUGIN_PACKAGES)
    PLUGIN_NAMES = [name for name, _ in found]
    FOLDERS = {name: module.rsplit(".", 1)[-1] for name, module in found}
# plugins whose market and sessions live on the app's clock: ./test.sh reruns their tests under shifted clocks
CLOCK_DRIVEN = ("paper", "fakebroker")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "plugin_name" in metafunc.fixturenames:
        metafunc.parametrize("plugin_name", [pytest.param(name, marks=pytest.mark.dates) if name in CLOCK_DRIVEN
                                             else name for name in PLUGIN_NAMES])


def _harness(name: str) -> Any:
    for module in (f"tests.brokers.{FOLDERS.get(name, name)}.harness", f"tests.contract.harnesses.{name}"):
        try:
            return importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name is None or not module.startswith(exc.name):
                raise   # the harness exists but imports something missing: say so
    return None


@dataclass
class Connected:
    app: Flask
    plugin: BrokerPlugin
    session: BrokerSession
    instruments: list[Instrument]

    def instrument(self, exchange: str = "NSE") -> Instrument:
        """A plain instrument to trade and quote: an equity where the broker has one."""
        preferred = [i for i in self.instruments if i.exchange == exchange and i.instrumenttype in ("EQ", "")]
        candidates = preferred or [i for i in self.instruments if i.exchange not in ("NSE_INDEX", "BSE_INDEX")]
        assert candidates, f"{self.plugin.name}: master contract has no tradable instrument"
        return candidates[0]


@pytest.fixture
def contract_app(make_app, plugin_name: str) -> Flask:
    harness = _harness(plugin_name)
    settings = dict(getattr(harness, "SETTINGS", {}))
    return make_app(BROKER_PLUGIN_PACKAGES=() if ONLY else PLUGIN_PACKAGES, BROKER_PLUGIN_MODULES=PLUGIN_MODULES,
                    VALID_BROKERS=",".join(PLUGIN_NAMES), **settings)


@pytest.fixture
def plugin(contract_app: Flask, plugin_name: str) -> BrokerPlugin:
    entry = registry(contract_app).entries[plugin_name]
    assert entry.available, f"plugin {plugin_name} is unavailable: {entry.reason}"
    return entry.plugin


@pytest.fixture
def connected(contract_app: Flask, plugin: BrokerPlugin, plugin_name: str) -> Iterator[Connected]:
    harness = _harness(plugin_name)
    if plugin.manifest.auth_type != "none" and harness is None:
        pytest.skip(f"{plugin_name} logs in by {plugin.manifest.auth_type}; add tests/contract/harnesses/{plugin_name}.py")
    credentials = harness.credentials() if harness is not None and hasattr(harness, "credentials") else {}
    with contract_app.app_context():
        user = User(username=f"contract-{plugin_name}", email="c@example.com", password_hash="-")
        db.session.add(user)
        db.session.commit()
        broker_session.connect(user.id, plugin_name, credentials)
        session = broker_session.live_session(user.id).session
        instruments = []
        if plugin.capabilities.supports("master_contract"):
            result = master_contract.download(plugin_name, plugin, session=session)
            assert result.state == "success", result.message
            instruments = list(plugin.master_contract.download(session, lambda message: None))
        yield Connected(contract_app, plugin, session, instruments)
