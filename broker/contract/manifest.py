"""What a plugin says about itself, as plain data: the manifest and the capability map.

Services read the capability map before calling a plugin, so an unsupported call becomes a clear
`NotSupported("... is not supported by <broker>")` instead of a 500; discovery and the contract tests
validate both (see `broker.contract.validation`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from broker.contract.settings import SettingSpec
from broker.errors import NotSupported

AuthType = Literal["oauth", "form", "totp", "none"]
AUTH_TYPES: tuple[str, ...] = ("oauth", "form", "totp", "none")

# Every operation a plugin may offer. The name is also the adapter method that performs it
# (e.g. "place_order" → `plugin.orders.place_order`), see `broker.contract.interfaces.OPERATION_ADAPTERS`.
ORDER_OPERATIONS = ("place_order", "modify_order", "cancel_order", "cancel_all_orders", "order_book",
                    "order_status", "trade_book", "positions", "holdings", "open_position",
                    "close_all_positions")
DATA_OPERATIONS = ("quote", "quotes", "depth", "history")
FUNDS_OPERATIONS = ("funds", "margin")
GTT_OPERATIONS = ("place_gtt", "modify_gtt", "cancel_gtt", "gtt_book")
OTHER_OPERATIONS = ("master_contract", "streaming")
OPERATIONS: tuple[str, ...] = (ORDER_OPERATIONS + DATA_OPERATIONS + FUNDS_OPERATIONS + GTT_OPERATIONS
                               + OTHER_OPERATIONS)

# How the server learns that a user's orders changed outside a request (fills of resting orders,
# cancellations by the exchange): "push" — the plugin's `order_feed` emits OrderEvents as the broker
# reports them; "poll" — the server polls `orders.order_book` and emits the differences; "none" — only
# the changes the server itself makes (its own acknowledgements) produce events.
OrderUpdates = Literal["push", "poll", "none"]
ORDER_UPDATE_MODES: tuple[str, ...] = ("push", "poll", "none")

# What an order quantity of 1 on MCX means at the broker: "units" — one unit of the quoted price (one
# barrel of CRUDEOIL, lot 100: Angel One, Dhan, Upstox); "contracts" — one exchange contract (Kite lists
# MCX with lot 1: quantity 1 of CRUDEOIL is 100 barrels). The sandbox on a live market and the live P&L
# reports value positions by it (broker.contract.multiplier.contract_multiplier).
McxQuantity = Literal["units", "contracts"]
MCX_QUANTITY_MODES: tuple[str, ...] = ("units", "contracts")

# API_CONTRACT.md §2.3
# Outgoing budgets when a plugin declares none (API_CONTRACT.md §1.8: history ~3/s). Buckets:
# "orders" (place/modify/cancel), "quotes" (quotes, depth, books, funds), "history".
RATE_LIMIT_BUCKETS: tuple[str, ...] = ("orders", "quotes", "history")
DEFAULT_RATE_LIMITS: dict[str, str] = {"orders": "10/second", "quotes": "10/second", "history": "3/second"}

INTERVALS: tuple[str, ...] = ("1s", "5s", "10s", "15s", "30s", "45s", "1m", "2m", "3m", "5m", "10m", "15m",
                              "20m", "30m", "1h", "2h", "3h", "4h", "D", "W", "M", "Q", "Y")


@dataclass(frozen=True, slots=True, kw_only=True)
class Manifest:
    name: str                      # the broker id stored in the database and used in URLs, e.g. "zerodha"
    display_name: str              # shown to people, e.g. "Zerodha"
    auth_type: AuthType
    settings: tuple[SettingSpec, ...] = ()       # the plugin's own settings, names prefixed NAME_ (see settings.py)
    login_fields: tuple[SettingSpec, ...] = ()   # what the user types to connect (form / totp brokers)
    description: str = ""
    homepage: str = ""
    # False only for a simulator whose "exchange" is our own code (the paper broker): it raises the
    # unified errors itself, so it needs no error table. Every live broker must provide one.
    live: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class CapabilityMap:
    """What the broker supports. Anything not listed here raises NotSupported."""
    operations: frozenset[str]
    order_types: frozenset[str] = frozenset({"MARKET", "LIMIT", "SL", "SL-M"})
    products: frozenset[str] = frozenset({"CNC", "NRML", "MIS"})
    exchanges: frozenset[str] = frozenset()
    intervals: tuple[str, ...] = ()              # in the order of §2.3
    streaming_modes: frozenset[int] = frozenset()  # 1 LTP, 2 quote, 3 depth
    depth_levels: tuple[int, ...] = (5,)
    max_batch_quotes: int = 0                    # symbols per `quotes` call; 0 = no batch endpoint
    symbols_per_connection: int = 0              # streaming cap per upstream connection; 0 = unlimited
    max_streaming_connections: int = 1
    amo: bool = False                            # after-market orders accepted
    order_updates: OrderUpdates = "none"         # see ORDER_UPDATE_MODES; "push" needs BrokerPlugin.order_feed
    mcx_quantity: McxQuantity = "units"          # see MCX_QUANTITY_MODES: what quantity 1 on MCX counts
    # outgoing call budgets per bucket, in the `limits` syntax, from the broker's documented limits
    rate_limits: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))
    extras: dict[str, object] = field(default_factory=dict)  # broker-specific facts, documented by the plugin

    @property
    def margin_calculator(self) -> bool:
        return "margin" in self.operations

    def supports(self, operation: str) -> bool:
        return operation in self.operations

    def require(self, operation: str, broker: str) -> None:
        if operation not in self.operations:
            raise NotSupported(f"{operation.replace('_', ' ')} is not supported by {broker}")

    def require_value(self, kind: str, value: object, broker: str) -> None:
        """Raise NotSupported unless `value` is in the `kind` set, e.g. ("order_types", "SL-M")."""
        allowed = getattr(self, kind)
        if value not in allowed:
            label = kind.rstrip("s").replace("_", " ")
            raise NotSupported(f"{label} {value} is not supported by {broker}")

    def describe(self) -> dict[str, object]:
        """Plain, sorted data for `broker list`, the dashboard and JSON."""
        def ordered(values, reference=None):  # noqa: ANN001, ANN202
            reference = reference or sorted(values, key=str)
            return [v for v in reference if v in values]

        return {
            "operations": ordered(self.operations, OPERATIONS),
            "order_types": ordered(self.order_types, ("MARKET", "LIMIT", "SL", "SL-M")),
            "products": ordered(self.products, ("CNC", "NRML", "MIS")),
            "exchanges": ordered(self.exchanges),
            "intervals": list(self.intervals),
            "streaming_modes": sorted(self.streaming_modes),
            "depth_levels": list(self.depth_levels),
            "max_batch_quotes": self.max_batch_quotes,
            "symbols_per_connection": self.symbols_per_connection,
            "max_streaming_connections": self.max_streaming_connections,
            "margin_calculator": self.margin_calculator,
            "amo": self.amo,
            "order_updates": self.order_updates,
            "mcx_quantity": self.mcx_quantity,
            "rate_limits": {**DEFAULT_RATE_LIMITS, **self.rate_limits},
        }
