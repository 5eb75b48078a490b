"""`build_plugin`: a Noren broker's configuration (its name, settings, login and master files) → the
BrokerPlugin every Noren broker shares."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from broker.contract import BrokerPlugin, BrokerSession, CapabilityMap, Manifest, OrderEmit, PluginConfig
from broker.contract import AuthAdapter
from broker.http import BrokerHttp
from broker.noren import mapping
from broker.noren.client import NorenClient
from broker.noren.data import INTERVALS, MAX_QUOTES_PER_CALL, NorenData, NorenFunds
from broker.noren.errors import error_table
from broker.noren.gtt import NorenGtt
from broker.noren.master_contract import NorenMasterContract
from broker.noren.orders import NorenOrders
from broker.noren.streaming import MAX_TOKENS_PER_CONNECTION, FeedCredentials, NorenFeed, NorenOrderFeed
from broker.streaming import TickPublisher

OPERATIONS = frozenset({"place_order", "modify_order", "cancel_order", "cancel_all_orders", "order_book",
                        "order_status", "trade_book", "positions", "holdings", "open_position",
                        "close_all_positions", "quote", "quotes", "depth", "history", "funds", "margin",
                        "place_gtt", "modify_gtt", "cancel_gtt", "gtt_book", "master_contract", "streaming"})
# Noren does not publish per-endpoint limits; these budgets stay under what Noren brokers enforce per
# user (orders and reads at 10 per second, charts slower)
RATE_LIMITS = {"orders": "10/second", "quotes": "10/second", "history": "3/second"}


def capabilities(extras: dict[str, object]) -> CapabilityMap:
    return CapabilityMap(operations=OPERATIONS, exchanges=frozenset(mapping.EXCHANGES), intervals=tuple(INTERVALS),
                         streaming_modes=frozenset({1, 2, 3}), depth_levels=(5,),
                         max_batch_quotes=MAX_QUOTES_PER_CALL, symbols_per_connection=MAX_TOKENS_PER_CONNECTION,
                         amo=True, order_updates="push", rate_limits=RATE_LIMITS, extras=extras)


@dataclass(frozen=True)
class NorenBroker:
    """What differs between Noren brokers."""
    manifest: Manifest
    capabilities: CapabilityMap
    api_url: str                                    # REST base, e.g. https://api.shoonya.com/NorenWClientTP
    ws_url: str
    master_files: tuple[tuple[str, bool], ...]      # (url, zipped)
    auth: Callable[[NorenClient], AuthAdapter]
    bearer: bool = False                            # the OAuth API: the token as a Bearer header, not jKey


def build_plugin(broker: NorenBroker, config: PluginConfig) -> BrokerPlugin:
    name = broker.manifest.name
    errors = error_table(name)
    http = config.http or BrokerHttp(name, rate_limiter=config.rate_limiter)
    client = NorenClient(http, broker.api_url, name, errors, bearer=broker.bearer)
    names = mapping.SymbolNames(config.symbols)

    def feed(session: BrokerSession, publisher: TickPublisher) -> NorenFeed:
        token = session.feed_token or session.auth_token
        if not token:
            raise ValueError(f"the {name} feed needs the session token of a live broker session")
        return NorenFeed(name, publisher, FeedCredentials(session.broker_user_id, token, broker.ws_url))

    def order_feed(session: BrokerSession, emit: OrderEmit) -> NorenOrderFeed:
        return NorenOrderFeed(name, session, emit, names, broker.ws_url)

    return BrokerPlugin(manifest=broker.manifest, capabilities=broker.capabilities, auth=broker.auth(client),
                        orders=NorenOrders(client, names), data=NorenData(client), funds=NorenFunds(client),
                        master_contract=NorenMasterContract(client, broker.master_files), feed=feed,
                        order_feed=order_feed, gtt=NorenGtt(client, names), error_table=errors)
