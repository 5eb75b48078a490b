"""Typed request and result objects at the broker boundary.

Every plugin speaks these, never tuples or loose dicts. Unified fields follow API_CONTRACT.md (names,
enumerations from utils/constants.py, symbols in the OpenAlgo format of utils/symbols.py); each result
keeps the broker's own payload in `raw` so nothing the broker said is lost (shown in logs, journals and
debugging, never compared). Prices are floats in rupees; quantities are ints except on fractional
exchanges (CRYPTO), hence `Quantity`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from utils.symbols import master_expiry

Action = Literal["BUY", "SELL"]
Product = Literal["CNC", "NRML", "MIS"]
PriceType = Literal["MARKET", "LIMIT", "SL", "SL-M"]
OrderStatus = str  # one of utils.constants.ORDER_STATUSES; brokers may add e.g. "expired"
Quantity = int | float
GttTriggerType = Literal["SINGLE", "OCO"]
GttLegRole = Literal["single", "stoploss", "target"]
# A GTT's life: "active" until LTP crosses a leg's trigger ("triggered": the leg's order was placed),
# the user cancels it, it reaches `expires_at` ("expired"), or the broker refuses it ("rejected").
GttStatus = Literal["active", "triggered", "cancelled", "expired", "rejected"]
GTT_STATUSES: tuple[str, ...] = ("active", "triggered", "cancelled", "expired", "rejected")


def _raw() -> Any:
    return field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Instrument:
    """One row of the master contract (the unified `symtoken` record, API_CONTRACT.md §7)."""
    symbol: str                    # OpenAlgo symbol, e.g. NIFTY30DEC2526000CE
    brsymbol: str                  # the broker's trading symbol
    name: str
    exchange: str                  # OpenAlgo exchange code
    brexchange: str                # the broker's exchange code
    token: str                     # the broker's instrument token
    expiry: date | None = None     # None for instruments without expiry
    strike: float = 0.0            # placeholder (0 or -1, broker-dependent) for non-options
    lotsize: int = 1
    tick_size: float = 0.05
    instrumenttype: str = ""       # EQ, FUT, CE, PE, FUTIDX, OPTIDX, INDEX, ...
    freeze_qty: int | None = None  # exchange's maximum quantity per order; None when unknown
    raw: Any = _raw()

    def record(self) -> dict[str, Any]:
        """The instrument record of API_CONTRACT.md §7, in its column order."""
        return {"symbol": self.symbol, "brsymbol": self.brsymbol, "name": self.name,
                "exchange": self.exchange, "brexchange": self.brexchange, "token": self.token,
                "expiry": master_expiry(self.expiry), "strike": float(self.strike),
                "lotsize": int(self.lotsize), "instrumenttype": self.instrumenttype,
                "tick_size": float(self.tick_size)}


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRequest:
    """A new order, already validated by the service and resolved against the master contract."""
    instrument: Instrument
    action: Action
    quantity: Quantity
    product: Product = "MIS"
    pricetype: PriceType = "MARKET"
    price: float = 0.0
    trigger_price: float = 0.0
    disclosed_quantity: int = 0
    strategy: str = ""
    tag: str = ""                  # our reference for the order, where the broker can carry one


@dataclass(frozen=True, slots=True, kw_only=True)
class ModifyRequest:
    """A change to an open order (the fields of API_CONTRACT.md §3.5)."""
    order_id: str
    instrument: Instrument
    action: Action
    quantity: Quantity
    product: Product
    pricetype: PriceType
    price: float = 0.0
    trigger_price: float = 0.0
    disclosed_quantity: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderAck:
    """The broker accepted the request (place, modify or cancel) and named the order."""
    order_id: str
    message: str = ""
    raw: Any = _raw()


@dataclass(frozen=True, slots=True, kw_only=True)
class Order:
    """A row of the order book."""
    order_id: str
    symbol: str
    exchange: str
    action: Action
    quantity: Quantity
    product: Product
    pricetype: PriceType
    status: OrderStatus
    price: float = 0.0
    trigger_price: float = 0.0
    filled_quantity: Quantity = 0
    average_price: float = 0.0
    rejection_reason: str = ""
    timestamp: str = ""            # the broker's own text; the API passes it through
    raw: Any = _raw()

    @property
    def pending_quantity(self) -> Quantity:
        return self.quantity - self.filled_quantity


@dataclass(frozen=True, slots=True, kw_only=True)
class Trade:
    """One fill."""
    order_id: str
    symbol: str
    exchange: str
    action: Action
    quantity: Quantity
    average_price: float
    product: Product
    trade_id: str = ""
    timestamp: str = ""
    raw: Any = _raw()

    @property
    def trade_value(self) -> float:
        return self.quantity * self.average_price


@dataclass(frozen=True, slots=True, kw_only=True)
class Position:
    """Net position for one (symbol, exchange, product); closed-today rows have quantity 0."""
    symbol: str
    exchange: str
    product: Product
    quantity: Quantity             # signed: negative is short
    average_price: float = 0.0
    ltp: float = 0.0
    pnl: float = 0.0               # realized + unrealized
    realized_pnl: float = 0.0
    unrealized_pnl: float = 0.0
    raw: Any = _raw()


@dataclass(frozen=True, slots=True, kw_only=True)
class Holding:
    symbol: str
    exchange: str
    quantity: Quantity
    average_price: float
    ltp: float = 0.0
    pnl: float = 0.0
    product: Product = "CNC"
    raw: Any = _raw()

    @property
    def pnl_percent(self) -> float:
        invested = self.quantity * self.average_price
        return round(self.pnl / invested * 100, 2) if invested else 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Funds:
    """The five keys of API_CONTRACT.md §5.1, as numbers (the API formats them)."""
    available_cash: float
    collateral: float = 0.0
    m2m_realized: float = 0.0
    m2m_unrealized: float = 0.0
    utilised_debits: float = 0.0
    raw: Any = _raw()


@dataclass(frozen=True, slots=True, kw_only=True)
class MarginLeg:
    instrument: Instrument
    action: Action
    quantity: Quantity
    product: Product
    pricetype: PriceType
    price: float = 0.0
    trigger_price: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Margin:
    total_margin_required: float
    span_margin: float | None = None
    exposure_margin: float | None = None
    raw: Any = _raw()


@dataclass(frozen=True, slots=True, kw_only=True)
class Quote:
    """Top of book and the day's figures (API_CONTRACT.md §6.1)."""
    symbol: str
    exchange: str
    ltp: float
    open: float = 0.0
    high: float = 0.0
    low: float = 0.0
    prev_close: float = 0.0
    volume: int = 0
    bid: float = 0.0               # 0 when the side is empty
    ask: float = 0.0
    bid_qty: int = 0
    ask_qty: int = 0
    oi: int = 0
    timestamp: datetime | None = None
    raw: Any = _raw()


@dataclass(frozen=True, slots=True)
class DepthLevel:
    price: float = 0.0
    quantity: int = 0
    orders: int = 0


DEPTH_LEVELS = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class Depth:
    """Order book: bids best (highest) first, asks best (lowest) first, padded to `levels`."""
    symbol: str
    exchange: str
    ltp: float
    bids: tuple[DepthLevel, ...]
    asks: tuple[DepthLevel, ...]
    ltq: int = 0
    open: float = 0.0
    high: float = 0.0
    low: float = 0.0
    prev_close: float = 0.0
    volume: int = 0
    oi: int = 0
    total_buy_qty: int = 0
    total_sell_qty: int = 0
    timestamp: datetime | None = None
    raw: Any = _raw()

    @staticmethod
    def pad(levels: list[DepthLevel] | tuple[DepthLevel, ...], size: int = DEPTH_LEVELS) -> tuple[DepthLevel, ...]:
        """Exactly `size` levels: extra ones dropped, missing ones filled with zeros."""
        return tuple(levels[:size]) + (DepthLevel(),) * max(0, size - len(levels))


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryRequest:
    instrument: Instrument
    interval: str                  # one of API_CONTRACT.md §2.3, and in the plugin's capability map
    start: date                    # inclusive
    end: date                      # inclusive (the whole day)


@dataclass(frozen=True, slots=True)
class Candle:
    """`timestamp` is epoch seconds encoded as API_CONTRACT.md §6.4 says (daily bars at 00:00 UTC)."""
    timestamp: int
    open: float
    high: float
    low: float
    close: float
    volume: int = 0
    oi: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class CandleSeries:
    symbol: str
    exchange: str
    interval: str
    candles: tuple[Candle, ...]
    raw: Any = _raw()


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderEvent:
    """One change of one order, as it happens (placed, modified, filled in part or whole, cancelled,
    rejected): what order-update feeds emit and the WebSocket proxy turns into `order_update` messages
    (API_CONTRACT.md §16) for the order's owner only.

    `status` is the unified order status (utils.constants.ORDER_STATUSES); `exchange_timestamp` is the
    broker's own text for when the exchange saw the change ("" when it does not say); `strategy` is the
    strategy tag when the broker carries one back. Quantities follow `Order`.
    """
    order_id: str
    symbol: str
    exchange: str
    action: Action
    quantity: Quantity
    status: OrderStatus
    pricetype: PriceType = "MARKET"
    product: Product = "MIS"
    filled_quantity: Quantity = 0
    pending_quantity: Quantity = 0
    average_price: float = 0.0
    price: float = 0.0
    trigger_price: float = 0.0
    rejection_reason: str = ""
    exchange_timestamp: str = ""
    strategy: str = ""
    raw: Any = _raw()

    @classmethod
    def from_order(cls, order: Order, *, strategy: str = "") -> "OrderEvent":
        """The event saying `order` is now as the order book shows it (poll-and-diff, snapshots)."""
        return cls(order_id=order.order_id, symbol=order.symbol, exchange=order.exchange, action=order.action,
                   quantity=order.quantity, status=order.status, pricetype=order.pricetype, product=order.product,
                   filled_quantity=order.filled_quantity, pending_quantity=order.pending_quantity,
                   average_price=order.average_price, price=order.price, trigger_price=order.trigger_price,
                   rejection_reason=order.rejection_reason, exchange_timestamp=order.timestamp,
                   strategy=strategy, raw=order.raw)


@dataclass(frozen=True, slots=True, kw_only=True)
class GttLeg:
    """One trigger of a GTT and the order placed when LTP crosses it.

    SINGLE has one leg (role "single"); OCO has two, the stop-loss leg (trigger below LTP) first and the
    target leg (trigger above LTP) second. `price` is the child order's limit price (0 with MARKET)."""
    trigger_price: float
    price: float = 0.0
    pricetype: PriceType = "LIMIT"
    role: GttLegRole = "single"
    order_id: str = ""             # the order placed when this leg triggered ("" until then)


@dataclass(frozen=True, slots=True, kw_only=True)
class GttRequest:
    """A new GTT, or the full replacement of an active one (modify replaces every field), validated by
    the service: SINGLE has exactly one leg, OCO a stop-loss leg below `last_price` and a target above it.
    Action, quantity and product apply to every leg."""
    instrument: Instrument
    trigger_type: GttTriggerType
    action: Action
    quantity: Quantity
    product: Product
    legs: tuple[GttLeg, ...]
    last_price: float              # LTP when the request was made (brokers such as Kite require it)
    strategy: str = ""
    expires_at: datetime | None = None   # None: the broker's default validity


@dataclass(frozen=True, slots=True, kw_only=True)
class GttAck:
    """The broker accepted a GTT request (place, modify or cancel) and named the trigger."""
    trigger_id: str
    message: str = ""
    raw: Any = _raw()


@dataclass(frozen=True, slots=True, kw_only=True)
class Gtt:
    """A row of the GTT book."""
    trigger_id: str
    symbol: str
    exchange: str
    trigger_type: GttTriggerType
    status: GttStatus
    action: Action
    quantity: Quantity
    product: Product
    legs: tuple[GttLeg, ...]       # stop-loss first for OCO
    last_price: float = 0.0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    expires_at: datetime | None = None
    strategy: str = ""
    rejection_reason: str = ""
    raw: Any = _raw()

    @property
    def trigger_prices(self) -> list[float]:
        return sorted(leg.trigger_price for leg in self.legs)
