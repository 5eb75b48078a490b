"""Zerodha (Kite Connect v3) broker plugin: manifest, capability map and `create_plugin`.

Read top to bottom: client.py (the REST caller and its rate budgets), mapping.py (pure field
translations and the error table), auth.py, orders.py, data.py (quotes, depth, history, funds),
history.py, master_contract.py, ticker_decoder.py and streaming.py (the binary WebSocket ticker).

Settings: BROKER_API_KEY, BROKER_API_SECRET and REDIRECT_URL (e.g. http://127.0.0.1:5000/zerodha/callback,
registered in the Kite developer console). For tests only, the settings `ZERODHA_API_URL` and
`ZERODHA_TICKER_URL` point it at local fake servers (tests/fakes/kite_server.py, kite_ticker.py);
production leaves them empty.
"""
from __future__ import annotations

from typing import Callable

from broker.contract import BrokerPlugin, BrokerSession, CapabilityMap, Manifest, PluginConfig, SettingSpec, Tick
from broker.zerodha.auth import ZerodhaAuth
from broker.http import BrokerHttp
from broker.zerodha.client import API_URL, RATE_LIMITS, KiteClient
from broker.zerodha.data import MAX_QUOTES_PER_CALL, ZerodhaData, ZerodhaFunds
from broker.zerodha.history import KITE_INTERVALS
from broker.zerodha.mapping import ERROR_TABLE, UNIFIED_EXCHANGES  # noqa: F401  (ERROR_TABLE: the contract suite reads it here)
from broker.zerodha.master_contract import ZerodhaMasterContract
from broker.zerodha.orders import SymbolNames, ZerodhaOrders
from broker.threaded_stream import ThreadedStream
from broker.zerodha.streaming import MAX_INSTRUMENTS_PER_CONNECTION, TICKER_URL, TickerCredentials, ZerodhaStreaming

MANIFEST = Manifest(
    name="zerodha", display_name="Zerodha", auth_type="oauth",
    settings=(SettingSpec(name="BROKER_API_KEY", label="Kite Connect API key", secret=True),
              SettingSpec(name="BROKER_API_SECRET", label="Kite Connect API secret", secret=True),
              SettingSpec(name="REDIRECT_URL", label="Redirect URL registered with Kite",
                          help="http://127.0.0.1:5000/zerodha/callback")),
    description="Zerodha through Kite Connect v3 (REST and the binary WebSocket ticker)",
    homepage="https://kite.trade/docs/connect/v3/")

CAPABILITIES = CapabilityMap(
    operations=frozenset({"place_order", "modify_order", "cancel_order", "cancel_all_orders", "order_book",
                          "order_status", "trade_book", "positions", "holdings", "open_position",
                          "close_all_positions", "quote", "quotes", "depth", "history", "funds", "margin",
                          "master_contract", "streaming"}),
    exchanges=frozenset(UNIFIED_EXCHANGES),
    intervals=tuple(KITE_INTERVALS),
    streaming_modes=frozenset({1, 2, 3}),
    depth_levels=(5,),
    max_batch_quotes=MAX_QUOTES_PER_CALL,
    symbols_per_connection=MAX_INSTRUMENTS_PER_CONNECTION,
    max_streaming_connections=3,
    amo=True,
    rate_limits=RATE_LIMITS,
    extras={"market_protection": "automatic (-1) on MARKET and SL-M orders",
            "session_expiry": "06:00 IST daily"},
)


def ticker_credentials(config: PluginConfig, session: BrokerSession) -> TickerCredentials:
    return TickerCredentials(config.get("BROKER_API_KEY", ""), session.auth_token,
                             config.get("ZERODHA_TICKER_URL") or TICKER_URL)


def streaming_factory(config: PluginConfig) -> Callable[[BrokerSession, Callable[[Tick], None]], ThreadedStream]:
    """The contract's streaming factory: the Kite ticker adapter, ticks handed to a callback."""
    def create(session: BrokerSession, on_tick: Callable[[Tick], None]) -> ThreadedStream:
        credentials = ticker_credentials(config, session)
        return ThreadedStream(lambda publisher: ZerodhaStreaming(publisher, credentials), on_tick)
    return create


def create_plugin(config: PluginConfig) -> BrokerPlugin:
    http = config.http or BrokerHttp("zerodha", rate_limiter=config.rate_limiter)
    client = KiteClient(http, config.get("BROKER_API_KEY", ""), base_url=config.get("ZERODHA_API_URL") or API_URL)
    return BrokerPlugin(
        manifest=MANIFEST, capabilities=CAPABILITIES,
        auth=ZerodhaAuth(client, config.get("BROKER_API_SECRET", ""),
                         ticker_url=config.get("ZERODHA_TICKER_URL") or ""),
        orders=ZerodhaOrders(client, SymbolNames(config.symbols)),
        data=ZerodhaData(client), funds=ZerodhaFunds(client),
        master_contract=ZerodhaMasterContract(client),
        streaming=streaming_factory(config))
