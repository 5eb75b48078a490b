"""Upstox broker plugin: manifest, capability map and `create_plugin`.

Read top to bottom: mapping.py (pure field translations and the UDAPI error table), client.py (the REST
caller and its rate budgets), auth.py (OAuth 2 authorization code), orders.py (v3 writes, v2 reads),
data.py and history.py (quotes, depth, v3 candles chunked and stitched, funds, margin), gtt.py (single-trigger GTT), instruments.py
(the JSON instrument master), feed_codec.py and streaming.py (the protobuf market-data feed V3),
order_feed.py (the portfolio stream's order updates).

Settings: UPSTOX_API_KEY and UPSTOX_API_SECRET (the app's key and secret from the Upstox developer
console), UPSTOX_REDIRECT_URL (the redirect URI registered there, e.g.
http://127.0.0.1:5000/upstox/callback); UPSTOX_API_URL, UPSTOX_ORDER_URL and UPSTOX_INSTRUMENTS_URL
default to Upstox's own hosts and exist so tests can point the plugin at a local fake.
"""
from __future__ import annotations

from broker.contract import BrokerPlugin, BrokerSession, CapabilityMap, Manifest, OrderEmit, PluginConfig, SettingSpec
from broker.contract.manifest import DATA_OPERATIONS, FUNDS_OPERATIONS, GTT_OPERATIONS, ORDER_OPERATIONS
from broker.http import BrokerHttp
from broker.streaming import TickPublisher
from broker.upstox.auth import UpstoxAuth
from broker.upstox.client import API_URL, ORDER_URL, RATE_LIMITS, UpstoxClient
from broker.upstox.data import MAX_QUOTES_PER_CALL, UpstoxData, UpstoxFunds
from broker.upstox.gtt import UpstoxGtt
from broker.upstox.history import UPSTOX_INTERVALS
from broker.upstox.instruments import INSTRUMENTS_URL, UpstoxMasterContract
from broker.upstox.mapping import ERROR_TABLE, UNIFIED_EXCHANGES
from broker.upstox.order_feed import UpstoxOrderFeed
from broker.upstox.orders import SymbolNames, UpstoxOrders
from broker.upstox.streaming import MAX_CONNECTIONS, MAX_INSTRUMENTS_PER_CONNECTION, FeedAccess, UpstoxStreaming
from utils import setting_types

MANIFEST = Manifest(
    name="upstox", display_name="Upstox", auth_type="oauth",
    settings=(SettingSpec(name="UPSTOX_API_KEY", label="Upstox API key (client_id)", secret=True,
                          description="create an app at https://account.upstox.com/developer/apps and copy its API key"),
              SettingSpec(name="UPSTOX_API_SECRET", label="Upstox API secret", secret=True,
                          description="the API secret of the same app"),
              SettingSpec(name="UPSTOX_REDIRECT_URL", label="Redirect URL registered with the Upstox app",
                          parse=setting_types.http_url,
                          description="exactly as registered, e.g. http://127.0.0.1:5000/upstox/callback"),
              SettingSpec(name="UPSTOX_API_URL", label="Upstox API base URL", required=False, default=API_URL,
                          parse=setting_types.http_url, description="REST (change only to test against a fake)"),
              SettingSpec(name="UPSTOX_ORDER_URL", label="Upstox order API base URL", required=False,
                          default=ORDER_URL, parse=setting_types.http_url,
                          description="order placement host (change only to test against a fake)"),
              SettingSpec(name="UPSTOX_INSTRUMENTS_URL", label="Upstox instrument file URL", required=False,
                          default=INSTRUMENTS_URL, parse=setting_types.http_url,
                          description="the gzipped JSON instrument master (change only to test)")),
    description="Upstox through the Upstox Developer API (REST v2/v3, protobuf market-data feed V3, "
                "portfolio stream)",
    homepage="https://upstox.com/developer/api-documentation/")

CAPABILITIES = CapabilityMap(
    operations=frozenset(ORDER_OPERATIONS + DATA_OPERATIONS + FUNDS_OPERATIONS + GTT_OPERATIONS
                         + ("master_contract", "streaming")),
    exchanges=frozenset(UNIFIED_EXCHANGES),
    intervals=tuple(UPSTOX_INTERVALS),
    streaming_modes=frozenset({1, 2, 3}),
    depth_levels=(5,),
    max_batch_quotes=MAX_QUOTES_PER_CALL,
    symbols_per_connection=MAX_INSTRUMENTS_PER_CONNECTION,
    max_streaming_connections=MAX_CONNECTIONS,
    amo=True,
    order_updates="push",
    rate_limits=RATE_LIMITS,
    extras={"order_slicing": "quantities above the freeze limit are split by Upstox (v3 `slice`)",
            "session_expiry": "03:30 IST daily"},
)


def feed_access(client: UpstoxClient, session: BrokerSession, path: str) -> FeedAccess:
    """A fresh one-time feed URL per connection, from the authorize endpoint at `path`."""
    def authorize() -> str:
        data = client.call("GET", path, session) or {}
        return data.get("authorized_redirect_uri") or data.get("authorizedRedirectUri") or ""
    return FeedAccess(authorize)


def create_plugin(config: PluginConfig) -> BrokerPlugin:
    http = config.http or BrokerHttp("upstox", rate_limiter=config.rate_limiter)
    client = UpstoxClient(http, api_url=config.get("UPSTOX_API_URL") or API_URL,
                          order_url=config.get("UPSTOX_ORDER_URL") or ORDER_URL)
    orders = UpstoxOrders(client, SymbolNames(config.symbols))

    def feed(session: BrokerSession, publisher: TickPublisher) -> UpstoxStreaming:
        if not session.auth_token:
            raise ValueError("the Upstox feed needs the access token of a live broker session")
        return UpstoxStreaming(publisher, feed_access(client, session, "/v3/feed/market-data-feed/authorize"))

    def order_feed(session: BrokerSession, emit: OrderEmit) -> UpstoxOrderFeed:
        access = feed_access(client, session, "/v2/feed/portfolio-stream-feed/authorize?update_types=order")
        return UpstoxOrderFeed(access.authorize, emit, orders)

    return BrokerPlugin(
        manifest=MANIFEST, capabilities=CAPABILITIES,
        auth=UpstoxAuth(client, api_key=config.get("UPSTOX_API_KEY", ""),
                        api_secret=config.get("UPSTOX_API_SECRET", ""),
                        redirect_url=config.get("UPSTOX_REDIRECT_URL", "")),
        orders=orders, data=UpstoxData(client), funds=UpstoxFunds(client),
        master_contract=UpstoxMasterContract(client, config.get("UPSTOX_INSTRUMENTS_URL") or INSTRUMENTS_URL),
        gtt=UpstoxGtt(client, orders.names), feed=feed, order_feed=order_feed, error_table=ERROR_TABLE)
