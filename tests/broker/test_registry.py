"""Discovery: good plugins are offered, broken ones are listed with the reason and never stop the app."""
from __future__ import annotations

import importlib

import pytest

from broker.contract import PluginConfig, validate_plugin
from broker.registry import BrokerRegistry, UnknownBroker, find_plugin_modules
from services.brokers import registry

PACKAGES = ("tests.broker.sample_plugins", "tests.contract.plugins")


def test_broken_plugins_are_listed_unavailable_with_the_reason():
    brokers = BrokerRegistry({}, valid_brokers=["fakebroker"]).discover(PACKAGES)
    entries = {entry.name: entry for entry in brokers.list()}
    assert entries["fakebroker"].available
    assert "ModuleNotFoundError" in entries["broken_import"].reason
    assert "no create_plugin" in entries["no_factory"].reason
    reason = entries["breaks_contract"].reason
    assert "auth_type 'password'" in reason and "teleport" in reason and "NYSE" in reason
    assert not any(entries[name].available for name in ("broken_import", "no_factory", "breaks_contract"))
    assert [plugin.name for plugin in brokers.available()] == ["fakebroker", "needs_settings"]
    with pytest.raises(UnknownBroker, match="unavailable: failed to load"):
        brokers.get("broken_import")
    with pytest.raises(UnknownBroker, match="not installed"):
        brokers.get("nosuchbroker")


def test_valid_brokers_limits_what_users_may_connect_and_paper_is_always_allowed():
    brokers = BrokerRegistry({}, valid_brokers=[]).discover(PACKAGES)
    assert brokers.connectable() == []
    with pytest.raises(UnknownBroker, match="VALID_BROKERS"):
        brokers.get_connectable("fakebroker")
    assert brokers.get("fakebroker").name == "fakebroker"  # still usable for existing sessions
    assert "paper" in BrokerRegistry({}, valid_brokers=["zerodha"]).valid_brokers


def test_plugin_with_empty_required_settings_cannot_be_connected():
    brokers = BrokerRegistry({"BROKER_API_KEY": ""}, valid_brokers=["needs_settings"]).discover(PACKAGES)
    entry = brokers.entries["needs_settings"]
    assert entry.available and entry.missing_settings == ["BROKER_API_KEY"]
    with pytest.raises(UnknownBroker, match="BROKER_API_KEY"):
        brokers.get_connectable("needs_settings")
    configured = BrokerRegistry({"BROKER_API_KEY": "k" * 32}, valid_brokers=["needs_settings"]).discover(PACKAGES)
    assert configured.get_connectable("needs_settings").name == "needs_settings"


def test_plugin_rate_limits_reach_its_limiter():
    entry = BrokerRegistry({}).discover(["tests.contract.plugins"]).entries["fakebroker"]
    assert entry.rate_limiter.budgets["orders"].amount == 50            # declared by the plugin
    assert entry.rate_limiter.budgets["history"].amount == 3            # the default
    assert entry.describe()["capabilities"]["rate_limits"] == {"orders": "50/second", "quotes": "10/second",
                                                               "history": "3/second"}


def test_template_is_skipped_by_discovery_but_keeps_the_contract():
    assert "_template" not in [name for name, _ in find_plugin_modules(("broker",))]
    template = importlib.import_module("broker._template")
    assert validate_plugin(template.create_plugin(PluginConfig(settings={}))) == []


def test_app_start_survives_broken_plugins(make_app):
    app = make_app(BROKER_PLUGIN_PACKAGES=PACKAGES, VALID_BROKERS="fakebroker")
    assert registry(app).connectable() == ["fakebroker"]


def test_every_plugin_shipped_under_broker_loads():
    brokers = BrokerRegistry({}).discover(("broker",))
    assert {e.name: e.reason for e in brokers.list() if not e.available} == {}
