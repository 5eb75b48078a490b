"""Dhan (DhanHQ v2) broker plugin: manifest, capability map and `create_plugin` (re-exported by
broker/dhan/__init__.py, which is what discovery finds).

Read top to bottom: mapping.py (pure field translations and the error table), client.py (the REST
caller and its rate budgets), auth.py, orders.py, data.py (quotes, depth, history, funds, margin),
history.py, gtt.py (forever orders), master_contract.py, feed_decoder.py and streaming.py (the binary
market feed), order_feed.py (the JSON order-update stream).

Settings (all prefixed DHAN_): DHAN_CLIENT_ID (your Dhan client id: pre-fills the login and is needed by
the API-key login), DHAN_API_KEY and DHAN_API_SECRET (optional: with them the Connect button runs Dhan's
API-key consent login; without them you paste an access token generated at web.dhan.co), and the
endpoint URLs DHAN_API_URL, DHAN_AUTH_URL, DHAN_SCRIP_MASTER_URL, DHAN_FEED_URL, DHAN_ORDER_UPDATE_URL,
which default to Dhan's own and exist so tests can point the plugin at the fakes in tests/fakes/dhan.
"""
from __future__ import annotations

from broker.contract import (BrokerPlugin, BrokerSession, CapabilityMap, Manifest, OrderEmit, PluginConfig,
                             SettingSpec)
from broker.dhan.auth import AUTH_URL, DhanAuth
from broker.dhan.client import API_URL, RATE_LIMITS, SCRIP_MASTER_URL, DhanClient
from broker.dhan.data import MAX_QUOTES_PER_CALL, DhanData, DhanFunds
from broker.dhan.gtt import DhanGtt
from broker.dhan.history import DHAN_INTERVALS
from broker.dhan.mapping import ERROR_TABLE, UNIFIED_EXCHANGES
from broker.dhan.master_contract import DhanMasterContract
from broker.dhan.order_feed import ORDER_UPDATE_URL, DhanOrderFeed
from broker.dhan.orders import DhanOrders, SymbolNames
from broker.dhan.streaming import (FEED_URL, MAX_CONNECTIONS, MAX_INSTRUMENTS_PER_CONNECTION, DhanStreaming,
                                   FeedCredentials)
from broker.http import BrokerHttp
from broker.streaming import TickPublisher
from utils import setting_types

SETTINGS = (
    SettingSpec(name="DHAN_CLIENT_ID", label="Dhan client id", required=False,
                description="your Dhan client id (web.dhan.co → My Profile): pre-fills the login form; needed by the "
                            "API-key login"),
    SettingSpec(name="DHAN_API_KEY", label="Dhan API key", secret=True, required=False,
                description="optional: with DHAN_API_SECRET (and DHAN_CLIENT_ID) the login is Dhan's API-key "
                            "consent flow instead of pasting an access token"),
    SettingSpec(name="DHAN_API_SECRET", label="Dhan API secret", secret=True, required=False,
                description="the secret of DHAN_API_KEY"),
    SettingSpec(name="DHAN_API_URL", label="DhanHQ REST base URL", required=False, default=API_URL,
                parse=setting_types.http_url, description="DhanHQ v2 REST API (change only to test against a fake)"),
    SettingSpec(name="DHAN_AUTH_URL", label="Dhan login (consent) URL", required=False, default=AUTH_URL,
                parse=setting_types.http_url, description="Dhan's login service (change only to test)"),
    SettingSpec(name="DHAN_SCRIP_MASTER_URL", label="Dhan scrip master CSV URL", required=False,
                default=SCRIP_MASTER_URL, parse=setting_types.http_url,
                description="the compact scrip master (change only to test)"),
    SettingSpec(name="DHAN_FEED_URL", label="Dhan live market feed URL", required=False, default=FEED_URL,
                parse=setting_types.ws_url, description="binary market feed (change only to test against a fake)"),
    SettingSpec(name="DHAN_ORDER_UPDATE_URL", label="Dhan order-update feed URL", required=False,
                default=ORDER_UPDATE_URL, parse=setting_types.ws_url,
                description="live order updates (change only to test against a fake)"),
)
LOGIN_FIELDS = (
    SettingSpec(name="client_id", label="Dhan client id"),
    SettingSpec(name="access_token", label="Access token", secret=True, required=False,
                description="generated at web.dhan.co → My Profile → DhanHQ Trading APIs (valid 24 hours); "
                            "or leave it empty and give your PIN and TOTP"),
    SettingSpec(name="pin", label="PIN (instead of a token)", secret=True, required=False,
                description="your Dhan login PIN; needs TOTP enabled for your Dhan account"),
    SettingSpec(name="totp", label="TOTP code (instead of a token)", required=False,
                description="the 6-digit code your authenticator app shows now"),
)


def manifest(consent_flow: bool) -> Manifest:
    """With an API key and secret configured the login is Dhan's consent redirect, else the token form."""
    return Manifest(name="dhan", display_name="Dhan", auth_type="oauth" if consent_flow else "form",
                    settings=SETTINGS, login_fields=() if consent_flow else LOGIN_FIELDS,
                    description="Dhan through DhanHQ v2 (REST, binary live market feed, live order updates)",
                    homepage="https://dhanhq.co/docs/v2/")


# what discovery reads before building the plugin (the settings; the auth type follows DHAN_API_KEY)
MANIFEST = manifest(consent_flow=False)

CAPABILITIES = CapabilityMap(
    operations=frozenset({"place_order", "modify_order", "cancel_order", "cancel_all_orders", "order_book",
                          "order_status", "trade_book", "positions", "holdings", "open_position",
                          "close_all_positions", "quote", "quotes", "depth", "history", "funds", "margin",
                          "master_contract", "streaming", "place_gtt", "modify_gtt", "cancel_gtt", "gtt_book"}),
    exchanges=frozenset(UNIFIED_EXCHANGES),
    intervals=tuple(DHAN_INTERVALS),
    streaming_modes=frozenset({1, 2, 3}),
    depth_levels=(5,),
    max_batch_quotes=MAX_QUOTES_PER_CALL,
    symbols_per_connection=MAX_INSTRUMENTS_PER_CONNECTION,
    max_streaming_connections=MAX_CONNECTIONS,
    amo=True,
    order_updates="push",
    rate_limits=RATE_LIMITS,
    extras={"session_expiry": "24 hours after the access token was generated",
            "order_slicing": "orders above the exchange freeze quantity go through /orders/slicing",
            "margin": "per-order calculator, summed over legs (no cross-leg hedge benefit)"},
)


def _setting(config: PluginConfig, name: str, default: str = "") -> str:
    return str(config.get(name) or default)


def create_plugin(config: PluginConfig) -> BrokerPlugin:
    http = config.http or BrokerHttp("dhan", rate_limiter=config.rate_limiter)
    client = DhanClient(http, base_url=_setting(config, "DHAN_API_URL", API_URL),
                        scrip_master_url=_setting(config, "DHAN_SCRIP_MASTER_URL", SCRIP_MASTER_URL))
    auth = DhanAuth(client, default_client_id=_setting(config, "DHAN_CLIENT_ID"),
                    api_key=_setting(config, "DHAN_API_KEY"), api_secret=_setting(config, "DHAN_API_SECRET"),
                    auth_url=_setting(config, "DHAN_AUTH_URL", AUTH_URL))
    names = SymbolNames(config.symbols)
    feed_url = _setting(config, "DHAN_FEED_URL", FEED_URL)
    order_update_url = _setting(config, "DHAN_ORDER_UPDATE_URL", ORDER_UPDATE_URL)

    def feed(session: BrokerSession, publisher: TickPublisher) -> DhanStreaming:
        """The market feed for one user's live session (client id and token are theirs)."""
        return DhanStreaming(publisher, FeedCredentials(session.broker_user_id, session.auth_token, feed_url))

    def order_feed(session: BrokerSession, emit: OrderEmit) -> DhanOrderFeed:
        return DhanOrderFeed(session, emit, names, order_update_url)

    return BrokerPlugin(
        manifest=manifest(auth.consent_flow), capabilities=CAPABILITIES, auth=auth,
        orders=DhanOrders(client, names), data=DhanData(client), funds=DhanFunds(client),
        master_contract=DhanMasterContract(client), gtt=DhanGtt(client, names), feed=feed, order_feed=order_feed,
        error_table=ERROR_TABLE)
