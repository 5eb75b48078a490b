"""Angel One (SmartAPI) broker plugin: manifest, capability map and `create_plugin`.

Read top to bottom: mapping.py (pure field translations and the error table), client.py (the REST caller,
its headers and rate budgets), auth.py (client code + PIN + TOTP login), orders.py, gtt.py (GTT rules),
data.py (quotes, depth, candles, funds, margin calculator), master_contract.py (the JSON scrip master),
smartstream.py (the SmartStream 2.0 binary packets), streaming.py (the market feed) and order_feed.py
(order-status pushes).

Settings: ANGEL_API_KEY (the API key of an app created at smartapi.angelone.in); ANGEL_CLIENT_PUBLIC_IP
(the static IP registered for the app, sent as X-ClientPublicIP). The base URLs are settings too
(ANGEL_API_URL, ANGEL_WS_URL, ANGEL_ORDER_WS_URL, ANGEL_MASTER_URL), defaulting to Angel's real endpoints; tests
point them at the fake servers of tests/fakes/angel/. Users connect with their client code, PIN and current TOTP.
"""
from __future__ import annotations

from typing import Callable

from utils import setting_types
from broker.angel.auth import LOGIN_FIELDS, AngelAuth
from broker.angel.client import API_URL, RATE_LIMITS, SmartApiClient
from broker.angel.data import ANGEL_INTERVALS, MAX_QUOTES_PER_CALL, AngelData, AngelFunds
from broker.angel.gtt import AngelGtt
from broker.angel.mapping import ERROR_TABLE, UNIFIED_EXCHANGES
from broker.angel.master_contract import MASTER_URL, AngelMasterContract
from broker.angel.order_feed import ORDER_WS_URL, AngelOrderFeed
from broker.angel.orders import AngelOrders, SymbolNames
from broker.angel.streaming import (MAX_CONNECTIONS, MAX_TOKENS_PER_CONNECTION, STREAM_URL, AngelStreaming,
                                    credentials_from)
from broker.contract import BrokerPlugin, BrokerSession, CapabilityMap, Manifest, OrderEmit, PluginConfig, SettingSpec
from broker.http import BrokerHttp
from broker.streaming import TickPublisher

MANIFEST = Manifest(
    name="angel", display_name="Angel One", auth_type="totp",
    settings=(SettingSpec(name="ANGEL_API_KEY", label="SmartAPI app API key", secret=True,
                          description="create an app at https://smartapi.angelone.in (Trading APIs) and copy its API key"),
              SettingSpec(name="ANGEL_CLIENT_PUBLIC_IP", label="Static public IP registered for the app",
                          required=False, description="sent as X-ClientPublicIP; empty: this machine's address"),
              SettingSpec(name="ANGEL_API_URL", label="SmartAPI REST base URL", required=False, default=API_URL,
                          parse=setting_types.http_url, description="SmartAPI REST (change only to test against a fake)"),
              SettingSpec(name="ANGEL_WS_URL", label="SmartStream 2.0 WebSocket URL", required=False,
                          default=STREAM_URL, parse=setting_types.ws_url,
                          description="SmartStream market feed (change only to test against a fake)"),
              SettingSpec(name="ANGEL_ORDER_WS_URL", label="Order-status WebSocket URL", required=False,
                          default=ORDER_WS_URL, parse=setting_types.ws_url,
                          description="order-status pushes (change only to test against a fake)"),
              SettingSpec(name="ANGEL_MASTER_URL", label="Scrip master URL", required=False, default=MASTER_URL,
                          parse=setting_types.http_url, description="the JSON scrip master (change only to test)")),
    login_fields=LOGIN_FIELDS,
    description="Angel One through SmartAPI (REST, SmartStream 2.0 binary WebSocket)",
    homepage="https://smartapi.angelbroking.com/docs")

CAPABILITIES = CapabilityMap(
    operations=frozenset({"place_order", "modify_order", "cancel_order", "cancel_all_orders", "order_book",
                          "order_status", "trade_book", "positions", "holdings", "open_position",
                          "close_all_positions", "quote", "quotes", "depth", "history", "funds", "margin",
                          "place_gtt", "modify_gtt", "cancel_gtt", "gtt_book", "master_contract", "streaming"}),
    exchanges=frozenset(UNIFIED_EXCHANGES),
    intervals=tuple(ANGEL_INTERVALS),
    streaming_modes=frozenset({1, 2, 3}),
    depth_levels=(5,),
    max_batch_quotes=MAX_QUOTES_PER_CALL,
    symbols_per_connection=MAX_TOKENS_PER_CONNECTION,
    max_streaming_connections=MAX_CONNECTIONS,
    amo=True,
    order_updates="push",
    rate_limits=RATE_LIMITS,
    extras={"session_expiry": "daily login (treated as ending at midnight IST)",
            "varieties": "NORMAL, STOPLOSS (SL / SL-M), AMO outside market hours"},
)


def feed_factory(config: PluginConfig):  # noqa: ANN201  (FeedFactory)
    """BrokerPlugin.feed: SmartStream for a user's live session, with this plugin's API key and URL."""
    api_key, url = config.get("ANGEL_API_KEY", ""), config.get("ANGEL_WS_URL") or STREAM_URL

    def feed(session: BrokerSession, publisher: TickPublisher) -> AngelStreaming:
        return AngelStreaming(publisher, credentials_from(session, api_key, url))
    return feed


def order_feed_factory(config: PluginConfig, orders: AngelOrders) -> Callable[[BrokerSession, OrderEmit], AngelOrderFeed]:
    """The contract's order-feed factory: Angel's order-status WebSocket for one user's session."""
    def create(session: BrokerSession, emit: OrderEmit) -> AngelOrderFeed:
        return AngelOrderFeed(session, emit, orders, config.get("ANGEL_ORDER_WS_URL") or ORDER_WS_URL)
    return create


def create_plugin(config: PluginConfig) -> BrokerPlugin:
    http = config.http or BrokerHttp("angel", rate_limiter=config.rate_limiter)
    client = SmartApiClient(http, config.get("ANGEL_API_KEY") or "", base_url=config.get("ANGEL_API_URL") or API_URL,
                            public_ip=config.get("ANGEL_CLIENT_PUBLIC_IP") or "")
    names = SymbolNames(config.symbols)
    orders = AngelOrders(client, names)
    return BrokerPlugin(
        manifest=MANIFEST, capabilities=CAPABILITIES, auth=AngelAuth(client), orders=orders,
        data=AngelData(client), funds=AngelFunds(client),
        master_contract=AngelMasterContract(client, config.get("ANGEL_MASTER_URL") or MASTER_URL),
        feed=feed_factory(config), order_feed=order_feed_factory(config, orders), error_table=ERROR_TABLE,
        gtt=AngelGtt(client, names))
