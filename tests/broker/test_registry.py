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
    brokers = BrokerRegistry({"NEEDS_SETTINGS_API_KEY": ""}, valid_brokers=["needs_settings"]).discover(PACKAGES)
    entry = brokers.entries["needs_settings"]
    assert entry.available and entry.missing_settings == ["NEEDS_SETTINGS_API_KEY"]
    with pytest.raises(UnknownBroker, match="NEEDS_SETTINGS_API_KEY"):
        brokers.get_connectable("needs_settings")
    configured = BrokerRegistry({"NEEDS_SETTINGS_API_KEY": "k" * 32}, valid_brokers=["needs_settings"]).discover(PACKAGES)
    assert configured.get_connectable("needs_settings").name == "needs_settings"


def test_a_plugin_receives_only_its_own_declared_settings_parsed_with_defaults():
    sources = {"NEEDS_SETTINGS_API_KEY": "k" * 32, "APP_KEY": "a" * 64, "API_KEY_PEPPER": "p" * 64,
               "DATABASE_URL": "postgresql://u:secret@db/x", "ZERODHA_API_KEY": "z" * 16, "PAPER_CAPITAL": "5000"}
    sample = importlib.import_module("tests.broker.sample_plugins.needs_settings")
    sample.SEEN.clear()
    BrokerRegistry(sources, valid_brokers=["needs_settings"]).discover(("tests.broker.sample_plugins",))
    assert sample.SEEN == [{"NEEDS_SETTINGS_API_KEY": "k" * 32, "NEEDS_SETTINGS_API_URL": "https://api.example.com"}]


def test_an_invalid_plugin_setting_makes_the_plugin_unavailable_naming_the_setting():
    brokers = BrokerRegistry({"NEEDS_SETTINGS_API_URL": "ftp://nope"}, valid_brokers=["needs_settings"]).discover(PACKAGES)
    entry = brokers.entries["needs_settings"]
    assert not entry.available and entry.setting_problems == [
        "NEEDS_SETTINGS_API_URL must be an http:// or https:// URL, got 'ftp://nope'"]
    assert "invalid settings: NEEDS_SETTINGS_API_URL" in entry.reason


def test_an_invalid_setting_of_an_enabled_broker_stops_the_app_like_an_app_setting(make_app):
    from utils.config import ConfigError

    with pytest.raises(ConfigError, match="NEEDS_SETTINGS_API_URL must be an http"):
        make_app(BROKER_PLUGIN_PACKAGES=PACKAGES, VALID_BROKERS="needs_settings", NEEDS_SETTINGS_API_URL="nope")
    app = make_app(BROKER_PLUGIN_PACKAGES=PACKAGES, VALID_BROKERS="fakebroker", NEEDS_SETTINGS_API_URL="nope")
    assert not registry(app).entries["needs_settings"].available   # not enabled: listed, the app still starts


def test_secret_plugin_settings_are_masked_in_the_settings_table():
    entry = BrokerRegistry({"NEEDS_SETTINGS_API_KEY": "k" * 32}).discover(PACKAGES).entries["needs_settings"]
    assert entry.settings_table() == [("NEEDS_SETTINGS_API_KEY", "(set)", "API key"),
                                      ("NEEDS_SETTINGS_API_URL", "https://api.example.com", "API base URL")]


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


def test_the_app_and_the_proxy_import_no_broker_plugin_module():
    """They reach brokers only through the registry (BrokerPlugin), so VALID_BROKERS decides for both."""
    import ast

    from utils.config import PROJECT_ROOT

    plugins = {name for name, _ in find_plugin_modules(("broker",))} | {"_template"}
    offenders = []
    for folder in ("app.py", "services", "blueprints", "restx_api", "websocket_proxy", "cli", "database", "utils"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")) if folder != "app.py" else [PROJECT_ROOT / folder]:
            tree = ast.parse(path.read_text())
            type_only = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
                         and "TYPE_CHECKING" in ast.unparse(block.test) for node in ast.walk(block)}
            for node in ast.walk(tree):
                if id(node) in type_only:
                    continue
                names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                         else [alias.name for alias in node.names] if isinstance(node, ast.Import) else [])
                if any(name.split(".")[:2][-1] in plugins and name.startswith("broker.") for name in names):
                    offenders.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}")
    assert offenders == []
