"""Template broker plugin: copy this folder to broker/<your_broker>/ and fill in the TODOs.

Discovery skips folders whose name starts with "_", so this template is never offered to users.
A plugin is done when `pytest tests/contract` passes for it (it is picked up automatically) and its
request/response tests in tests/brokers/<your_broker>/ pass against a fake server fed with recorded
responses. Keep one concern per module as the plugin grows:

    broker/<name>/__init__.py      create_plugin(): manifest, capability map, the adapters
    broker/<name>/mapping.py       pure functions: unified ⇄ broker exchanges, products, price types, statuses
    broker/<name>/errors.py        ErrorTable: the broker's codes and messages → broker.errors types
    broker/<name>/auth.py          AuthAdapter     broker/<name>/orders.py   OrderAdapter
    broker/<name>/data.py          DataAdapter     broker/<name>/funds.py    FundsAdapter
    broker/<name>/master_contract.py   MasterContractLoader (build symbols with utils/symbols.py only)
    broker/<name>/streaming.py     the streaming adapter for the WebSocket proxy

Rules: never import Flask or the database here; make every HTTP call through `config.http` (pooled,
timeouts, transient retries) after `config.rate_limiter.acquire("orders" | "quotes" | "history")`; raise
only broker.errors types (translate with your ErrorTable at the boundary); keep `raw` on every result.
"""
from __future__ import annotations

from broker.contract import (AuthAdapter, BrokerPlugin, CapabilityMap, DataAdapter, FundsAdapter, Manifest,
                             MasterContractLoader, OrderAdapter, PluginConfig, SettingSpec)
from broker.errors import ErrorTable

ERROR_TABLE = ErrorTable("template")  # TODO: the broker's error codes and messages → broker.errors types

MANIFEST = Manifest(
    name="template",                  # TODO: the folder name, e.g. "zerodha"
    display_name="Template broker",   # TODO: e.g. "Zerodha"
    auth_type="oauth",                # TODO: oauth / form / totp / none
    settings=(                        # TODO: your settings, named <NAME>_..., base URLs defaulting to the real ones
        SettingSpec(name="TEMPLATE_API_KEY", label="API key", secret=True),
        SettingSpec(name="TEMPLATE_API_SECRET", label="API secret", secret=True),
    ),
    login_fields=(),                  # TODO: form / totp brokers: e.g. client id, password, TOTP code
)

CAPABILITIES = CapabilityMap(
    operations=frozenset(),           # TODO: add each operation as you implement it (see OPERATIONS)
    exchanges=frozenset({"NSE", "BSE", "NFO"}),
    intervals=(),                     # TODO: the history intervals the broker serves, e.g. ("1m", "5m", "D")
    streaming_modes=frozenset(),      # TODO: {1, 2, 3} for LTP, quote, depth
    max_batch_quotes=0,               # TODO: symbols per batch-quote call, from the broker's docs
    symbols_per_connection=0,         # TODO: streaming cap per WebSocket connection, from the broker's docs
    order_updates="none",             # TODO: "push" (set BrokerPlugin.order_feed) or "poll" (order_book diffed)
)


class TemplateAuth(AuthAdapter):
    """TODO: login_url() for OAuth, authenticate() → AuthResult with the token and its expiry."""


class TemplateOrders(OrderAdapter):
    """TODO: place_order, modify_order, cancel_order, order_book, trade_book, positions, holdings."""


class TemplateData(DataAdapter):
    """TODO: quote (and quotes when the broker has a batch call), depth, history."""


class TemplateFunds(FundsAdapter):
    """TODO: funds (and margin when the broker has a margin calculator)."""


class TemplateMasterContract(MasterContractLoader):
    """TODO: download() yields Instrument rows in the unified format."""


def create_plugin(config: PluginConfig) -> BrokerPlugin:
    return BrokerPlugin(manifest=MANIFEST, capabilities=CAPABILITIES, auth=TemplateAuth(),
                        orders=TemplateOrders(), data=TemplateData(), funds=TemplateFunds(),
                        master_contract=TemplateMasterContract(), error_table=ERROR_TABLE)
