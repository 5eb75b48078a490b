"""Template broker plugin: copy this folder to broker/<your_broker>/ and replace what is template-specific.

Walk-through: docs/adding-a-broker.md (Zerodha is the worked example). Discovery skips folders whose name
starts with "_", so this template is never offered to users; yet it is a complete, working plugin for a
fictional broker whose fake server is tests/brokers/_template/fake.py, and it passes the contract suite
(tests/brokers/_template/test_contract_hook.py). One concern per module, read top to bottom:

    __init__.py         MANIFEST (name, settings, login), CAPABILITIES, create_plugin()
    mapping.py          pure translations: exchanges, products, price types, statuses, rows → objects
    errors.py           ERROR_TABLE: the broker's codes and messages → broker.errors types
    client.py           the REST caller on broker/http.py (headers, envelope, errors)
    auth.py             login URL and request token → AuthResult
    orders.py           OrderAdapter          data.py     DataAdapter (quotes, depth, history)
    funds.py            FundsAdapter          master_contract.py   MasterContractLoader
    streaming.py        the market feed (BrokerPlugin.feed) on broker/streaming.py
    order_updates.py    the order-update push feed (BrokerPlugin.order_feed)

Rules: never import Flask or the database here; every HTTP call through `config.http` (pooled, timeouts,
transient retries, the plugin's rate limiter); raise only broker.errors types; keep `raw` on results;
read settings only from `config` (you get exactly the ones MANIFEST declares); never store a URL or a
setting in the user's broker session.
"""
from __future__ import annotations

from broker._template import mapping
from broker._template.auth import TemplateAuth
from broker._template.client import TemplateClient
from broker._template.data import MAX_QUOTES_PER_CALL, TemplateData
from broker._template.errors import ERROR_TABLE
from broker._template.funds import TemplateFunds
from broker._template.master_contract import TemplateMasterContract
from broker._template.order_updates import TemplateOrderFeed
from broker._template.orders import TemplateOrders
from broker._template.streaming import MAX_TOKENS_PER_CONNECTION, FeedCredentials, TemplateFeed
from broker.contract import (BrokerPlugin, BrokerSession, CapabilityMap, Manifest, OrderEmit, PluginConfig,
                             SettingSpec)
from broker.http import BrokerHttp
from broker.streaming import TickPublisher
from utils import setting_types

# The broker's real addresses are the defaults; tests point the settings at the fake server.
API_URL = "https://api.template-broker.example/v1"
LOGIN_URL = "https://login.template-broker.example/connect"
WS_URL = "wss://stream.template-broker.example"

MANIFEST = Manifest(
    name="template",                  # the folder name without "_" (e.g. "zerodha"); prefixes every setting
    display_name="Template broker",
    auth_type="oauth",                # oauth / form / totp / none
    settings=(
        SettingSpec(name="TEMPLATE_API_KEY", label="API key", secret=True,
                    description="API key of your app in the broker's developer console"),
        SettingSpec(name="TEMPLATE_API_SECRET", label="API secret", secret=True,
                    description="API secret of the same app"),
        SettingSpec(name="TEMPLATE_API_URL", label="REST base URL", required=False, default=API_URL,
                    parse=setting_types.http_url, description="the broker's REST API (change only to test)"),
        SettingSpec(name="TEMPLATE_LOGIN_URL", label="Login page", required=False, default=LOGIN_URL,
                    parse=setting_types.http_url, description="where users log in (change only to test)"),
        SettingSpec(name="TEMPLATE_WS_URL", label="Streaming base URL", required=False, default=WS_URL,
                    parse=setting_types.ws_url, description="market feed and order pushes (change only to test)"),
    ),
    login_fields=(),                  # form / totp brokers: the fields users type (client id, PIN, TOTP ...)
    description="A fictional broker: the template every plugin starts from",
    homepage="https://github.com/ (the broker's API documentation)",
)

CAPABILITIES = CapabilityMap(
    operations=frozenset({"place_order", "modify_order", "cancel_order", "cancel_all_orders", "order_book",
                          "order_status", "trade_book", "positions", "holdings", "open_position",
                          "close_all_positions", "quote", "quotes", "depth", "history", "funds", "margin",
                          "master_contract", "streaming"}),
    exchanges=frozenset(mapping.EXCHANGES),
    intervals=tuple(mapping.INTERVALS),
    streaming_modes=frozenset({1, 2, 3}),
    depth_levels=(5,),
    max_batch_quotes=MAX_QUOTES_PER_CALL,
    symbols_per_connection=MAX_TOKENS_PER_CONNECTION,
    order_updates="push",
    mcx_quantity="units",   # "contracts" when quantity 1 on MCX is one exchange contract (Zerodha), see manifest.py
    # from the broker's documented limits; the registry's limiter enforces them across processes
    rate_limits={"orders": "10/second", "quotes": "10/second", "history": "3/second"},
)


def create_plugin(config: PluginConfig) -> BrokerPlugin:
    api_key, ws_url = config.get("TEMPLATE_API_KEY", ""), config.get("TEMPLATE_WS_URL") or WS_URL
    http = config.http or BrokerHttp("template", rate_limiter=config.rate_limiter)
    client = TemplateClient(http, api_key, config.get("TEMPLATE_API_URL") or API_URL)
    names = mapping.SymbolNames(config.symbols)

    def feed(session: BrokerSession, publisher: TickPublisher) -> TemplateFeed:
        if not session.auth_token:
            raise ValueError("the template feed needs the access token of a live broker session")
        return TemplateFeed(publisher, FeedCredentials(api_key, session.auth_token, ws_url))

    def order_feed(session: BrokerSession, emit: OrderEmit) -> TemplateOrderFeed:
        return TemplateOrderFeed(session, emit, names, api_key, ws_url)

    return BrokerPlugin(
        manifest=MANIFEST, capabilities=CAPABILITIES,
        auth=TemplateAuth(client, config.get("TEMPLATE_API_SECRET", ""), config.get("TEMPLATE_LOGIN_URL") or LOGIN_URL),
        orders=TemplateOrders(client, names), data=TemplateData(client), funds=TemplateFunds(client),
        master_contract=TemplateMasterContract(client), feed=feed, order_feed=order_feed, error_table=ERROR_TABLE)
