"""Zerodha (Kite Connect v3) broker plugin: manifest, settings, capability map and `create_plugin`.

Read top to bottom: client.py (the REST caller and its rate budgets), mapping.py (pure field
translations and the error table), auth.py, orders.py, data.py (quotes, depth, history, funds),
history.py, master_contract.py, ticker_decoder.py and streaming.py (the binary WebSocket ticker),
order_updates.py (order messages of the ticker and postbacks), gtt.py (Kite's GTT triggers).

Settings (declared in MANIFEST, listed by `flask --app app config check` and .env.sample):
ZERODHA_API_KEY, ZERODHA_API_SECRET, ZERODHA_REDIRECT_URL (e.g. http://127.0.0.1:5000/zerodha/callback,
registered in the Kite developer console); the older names BROKER_API_KEY, BROKER_API_SECRET and
REDIRECT_URL are still read. ZERODHA_API_URL, ZERODHA_LOGIN_URL and ZERODHA_TICKER_URL default to Kite's
real addresses; tests point them at local fakes (tests/fakes/kite_server.py, kite_ticker.py).
"""
from __future__ import annotations

from datetime import datetime

from broker.contract import (BrokerPlugin, BrokerSession, CapabilityMap, Manifest, OrderEmit, PluginConfig,
                             SettingSpec)
from broker.http import BrokerHttp
from broker.streaming import TickPublisher
from broker.zerodha.auth import LOGIN_URL, ZerodhaAuth
from broker.zerodha.client import API_URL, RATE_LIMITS, KiteClient
from broker.zerodha.data import MAX_QUOTES_PER_CALL, ZerodhaData, ZerodhaFunds
from broker.zerodha.gtt import ZerodhaGtt
from broker.zerodha.history import KITE_INTERVALS
from broker.zerodha.mapping import ERROR_TABLE, IST, UNIFIED_EXCHANGES
from broker.zerodha.master_contract import ZerodhaMasterContract
from broker.zerodha.order_updates import KiteOrderFeed, PostbackVerifier
from broker.zerodha.orders import SymbolNames, ZerodhaOrders
from broker.zerodha.streaming import MAX_INSTRUMENTS_PER_CONNECTION, TICKER_URL, TickerCredentials, ZerodhaStreaming
from utils import setting_types

MANIFEST = Manifest(
    name="zerodha", display_name="Zerodha", auth_type="oauth",
    settings=(
        SettingSpec(name="ZERODHA_API_KEY", label="Kite Connect API key", secret=True, aliases=("BROKER_API_KEY",),
                    description="API key of your Kite Connect app (developers.kite.trade)"),
        SettingSpec(name="ZERODHA_API_SECRET", label="Kite Connect API secret", secret=True,
                    aliases=("BROKER_API_SECRET",), description="API secret of your Kite Connect app"),
        SettingSpec(name="ZERODHA_REDIRECT_URL", label="Redirect URL registered with Kite", aliases=("REDIRECT_URL",),
                    parse=setting_types.http_url,
                    description="the app's redirect URL in the Kite developer console, e.g. "
                                "http://127.0.0.1:5000/zerodha/callback"),
        SettingSpec(name="ZERODHA_API_URL", label="Kite REST base URL", required=False, default=API_URL,
                    parse=setting_types.http_url, description="Kite Connect REST API (change only to test against a fake)"),
        SettingSpec(name="ZERODHA_LOGIN_URL", label="Kite login page", required=False, default=LOGIN_URL,
                    parse=setting_types.http_url, description="where users log in to Kite (change only to test)"),
        SettingSpec(name="ZERODHA_TICKER_URL", label="Kite ticker WebSocket URL", required=False, default=TICKER_URL,
                    parse=setting_types.ws_url, description="Kite's streaming WebSocket (change only to test against a fake)"),
    ),
    description="Zerodha through Kite Connect v3 (REST and the binary WebSocket ticker)",
    homepage="https://kite.trade/docs/connect/v3/")

CAPABILITIES = CapabilityMap(
    operations=frozenset({"place_order", "modify_order", "cancel_order", "cancel_all_orders", "order_book",
                          "order_status", "trade_book", "positions", "holdings", "open_position",
                          "close_all_positions", "quote", "quotes", "depth", "history", "funds", "margin",
                          "master_contract", "streaming", "place_gtt", "modify_gtt", "cancel_gtt", "gtt_book"}),
    exchanges=frozenset(UNIFIED_EXCHANGES),
    intervals=tuple(KITE_INTERVALS),
    streaming_modes=frozenset({1, 2, 3}),
    depth_levels=(5,),
    max_batch_quotes=MAX_QUOTES_PER_CALL,
    symbols_per_connection=MAX_INSTRUMENTS_PER_CONNECTION,
    max_streaming_connections=3,
    amo=True,
    order_updates="push",   # the ticker's order messages (order_updates.py); postbacks too, at /postback/zerodha
    # Kite lists MCX instruments with lot_size 1 and counts them in contracts (a LEADMINI position of
    # quantity 1 has Kite's position "multiplier" 1000: kite.trade/docs/connect/v3/portfolio/#positions)
    mcx_quantity="contracts",
    rate_limits=RATE_LIMITS,
    extras={"market_protection": "automatic (-1) on MARKET and SL-M orders",
            "session_expiry": "06:00 IST daily"},
)


def feed_factory(config: PluginConfig):  # noqa: ANN201  (FeedFactory)
    """BrokerPlugin.feed: the Kite ticker for a user's live session; the api key and the ticker URL
    come from this plugin's settings, never from the stored session."""
    api_key, ticker_url = config.get("ZERODHA_API_KEY", ""), config.get("ZERODHA_TICKER_URL") or TICKER_URL

    def feed(session: BrokerSession, publisher: TickPublisher) -> ZerodhaStreaming:
        if not session.auth_token:
            raise ValueError("the Zerodha feed needs the access token of a live broker session")
        return ZerodhaStreaming(publisher, TickerCredentials(api_key, session.auth_token, ticker_url))
    return feed


def order_feed_factory(config: PluginConfig, orders: ZerodhaOrders):  # noqa: ANN201  (OrderFeedFactory)
    """BrokerPlugin.order_feed: the order messages of a ticker connection of the user's own."""
    api_key, ticker_url = config.get("ZERODHA_API_KEY", ""), config.get("ZERODHA_TICKER_URL") or TICKER_URL

    def order_feed(session: BrokerSession, emit: OrderEmit) -> KiteOrderFeed:
        if not session.auth_token:
            raise ValueError("Zerodha order updates need the access token of a live broker session")
        return KiteOrderFeed(TickerCredentials(api_key, session.auth_token, ticker_url), orders, emit)
    return order_feed


def create_plugin(config: PluginConfig) -> BrokerPlugin:
    def clock() -> datetime:   # the app's clock, on Kite's wall clock (IST)
        return config.clock().astimezone(IST)

    http = config.http or BrokerHttp("zerodha", rate_limiter=config.rate_limiter)
    client = KiteClient(http, config.get("ZERODHA_API_KEY", ""), base_url=config.get("ZERODHA_API_URL") or API_URL)
    orders = ZerodhaOrders(client, SymbolNames(config.symbols), clock=clock)
    return BrokerPlugin(
        manifest=MANIFEST, capabilities=CAPABILITIES,
        auth=ZerodhaAuth(client, config.get("ZERODHA_API_SECRET", ""),
                         login_base=config.get("ZERODHA_LOGIN_URL") or LOGIN_URL, clock=clock),
        orders=orders, data=ZerodhaData(client), funds=ZerodhaFunds(client), gtt=ZerodhaGtt(client, orders.names),
        master_contract=ZerodhaMasterContract(client),
        feed=feed_factory(config), error_table=ERROR_TABLE,
        order_feed=order_feed_factory(config, orders),
        postback=PostbackVerifier(orders, config.get("ZERODHA_API_SECRET", "")))
