"""Pure translations between the unified (OpenAlgo) vocabulary and Kite Connect v3's fields.

No I/O here: exchanges, products, price types, order statuses, timestamps, the request form of an order,
and the table that turns Kite's error answers (`error_type` + HTTP status) into the unified error kinds.
Every function is a lookup or a small rule, tested on recorded payloads.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from broker.errors import (AuthError, BrokerError, BrokerUnavailable, ErrorTable, InsufficientFunds,
                           InvalidOrder, NetworkError, OrderNotFound, OrderRejected, RateLimited, TokenExpired,
                           UnknownSymbol)
from utils.constants import (ORDER_STATUS_CANCELLED, ORDER_STATUS_COMPLETE, ORDER_STATUS_OPEN,
                             ORDER_STATUS_REJECTED, ORDER_STATUS_TRIGGER_PENDING)

IST = timezone(timedelta(hours=5, minutes=30))
UNIFIED_TIME_FORMAT = "%d-%b-%Y %H:%M:%S"     # what the order book shows, IST
KITE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"        # what Kite sends, IST

# Kite names index instruments on the cash exchange (segment INDICES); we keep them apart.
_TO_KITE_EXCHANGE = {"NSE_INDEX": "NSE", "BSE_INDEX": "BSE", "MCX_INDEX": "MCX"}
KITE_EXCHANGES = ("NSE", "BSE", "NFO", "BFO", "CDS", "BCD", "MCX")
UNIFIED_EXCHANGES = KITE_EXCHANGES + ("NSE_INDEX", "BSE_INDEX", "MCX_INDEX")

# Kite requires market protection on MARKET and SL-M orders; -1 asks it to pick the percentage itself
# (Kite Connect docs, "Market protection"; a value of 0 is rejected).
MARKET_PROTECTION_AUTO = -1
_PROTECTED_PRICE_TYPES = ("MARKET", "SL-M")

# Kite's order statuses → the contract's five. Anything not listed and not terminal is still working
# at the exchange or in Kite's pipeline ("PUT ORDER REQ RECEIVED", "VALIDATION PENDING", ...) → open.
_STATUS = {
    "COMPLETE": ORDER_STATUS_COMPLETE,
    "CANCELLED": ORDER_STATUS_CANCELLED,
    "CANCELLED AMO": ORDER_STATUS_CANCELLED,
    "REJECTED": ORDER_STATUS_REJECTED,
    "TRIGGER PENDING": ORDER_STATUS_TRIGGER_PENDING,
    "OPEN": ORDER_STATUS_OPEN,
    "AMO REQ RECEIVED": ORDER_STATUS_OPEN,
}


def to_kite_exchange(exchange: str) -> str:
    return _TO_KITE_EXCHANGE.get(exchange, exchange)


def to_unified_exchange(exchange: str, segment: str = "") -> str:
    """Kite's exchange (+ the instrument's segment) → ours; indices go to NSE_INDEX / BSE_INDEX."""
    if segment == "INDICES":
        return f"{exchange}_INDEX"
    return exchange


def to_unified_status(status: str | None) -> str:
    return _STATUS.get((status or "").upper(), ORDER_STATUS_OPEN)


def to_unified_time(value: str | None) -> str:
    """`2021-05-31 09:18:57` (Kite, IST) → `31-May-2021 09:18:57`; empty when absent or unreadable."""
    if not value:
        return ""
    try:
        return datetime.strptime(value.strip(), KITE_TIME_FORMAT).strftime(UNIFIED_TIME_FORMAT)
    except ValueError:
        return ""


def parse_kite_time(value: str | None) -> datetime | None:
    """Kite's `YYYY-MM-DD HH:MM:SS` (IST) or ISO candle time `2017-12-15T09:15:00+0530` → aware datetime."""
    if not value:
        return None
    text = value.strip()
    try:
        if "T" in text:
            return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")
        return datetime.strptime(text, KITE_TIME_FORMAT).replace(tzinfo=IST)
    except ValueError:
        return None


def instrument_key(exchange: str, broker_symbol: str) -> str:
    """The `i=EXCHANGE:TRADINGSYMBOL` form the quote endpoints take (and key their answers by)."""
    return f"{to_kite_exchange(exchange)}:{broker_symbol}"


def _price_fields(pricetype: str, price: float, trigger_price: float, disclosed_quantity: int) -> dict[str, Any]:
    """Prices only where the price type uses them; protection where Kite demands it."""
    form: dict[str, Any] = {}
    if pricetype in ("LIMIT", "SL"):
        form["price"] = price
    if pricetype in ("SL", "SL-M"):
        form["trigger_price"] = trigger_price
    if pricetype in _PROTECTED_PRICE_TYPES:
        form["market_protection"] = MARKET_PROTECTION_AUTO
    if disclosed_quantity:
        form["disclosed_quantity"] = int(disclosed_quantity)
    return form


def order_form(*, exchange: str, broker_symbol: str, action: str, quantity: int, product: str,
               pricetype: str, price: float = 0.0, trigger_price: float = 0.0,
               disclosed_quantity: int = 0, validity: str = "DAY", tag: str | None = None) -> dict[str, Any]:
    """The form body of `POST /orders/:variety`."""
    pricetype = pricetype.upper()
    form: dict[str, Any] = {
        "exchange": to_kite_exchange(exchange), "tradingsymbol": broker_symbol,
        "transaction_type": action.upper(), "quantity": int(quantity), "product": product.upper(),
        "order_type": pricetype, "validity": validity,
        **_price_fields(pricetype, price, trigger_price, disclosed_quantity),
    }
    if tag:
        form["tag"] = tag[:20]      # Kite rejects tags longer than 20 characters
    return form


def modify_form(*, pricetype: str, quantity: int, price: float = 0.0, trigger_price: float = 0.0,
                disclosed_quantity: int = 0, validity: str = "DAY") -> dict[str, Any]:
    """The form body of `PUT /orders/:variety/:order_id` (a switch to MARKET must carry protection)."""
    pricetype = pricetype.upper()
    return {"order_type": pricetype, "quantity": int(quantity), "validity": validity,
            **_price_fields(pricetype, price, trigger_price, disclosed_quantity)}


# --------------------------------------------------------------------------- errors
# Kite's `error_type` values (Kite Connect v3 docs, "Exceptions and errors") → the unified tree.
ERROR_TYPES: dict[str, type[BrokerError]] = {
    "TokenException": TokenExpired,          # session expired or invalidated: log in again
    "UserException": AuthError,
    "PermissionException": AuthError,        # the app or user may not do this
    "InputException": InvalidOrder,          # missing or bad parameters
    "OrderException": OrderRejected,         # the order could not be placed / fetched
    "MarginException": InsufficientFunds,
    "HoldingException": OrderRejected,
    "NetworkException": BrokerUnavailable,   # Kite could not reach its OMS
    "DataException": BrokerUnavailable,      # the OMS answered something unreadable
    "GeneralException": BrokerError,
}
# Kite reports e.g. insufficient margin as an InputException or OrderException: the message decides.
MESSAGE_HINTS = ((r"insufficient|margin exceed|required margin", InsufficientFunds),
                 (r"order not found|find that .?order_id|invalid .?order_id", OrderNotFound),
                 (r"invalid .?tradingsymbol|instrument", UnknownSymbol))
ERROR_TABLE = ErrorTable("zerodha", codes=ERROR_TYPES, messages=MESSAGE_HINTS)
# whatever the body says, these statuses are the gateway or the throttle talking
TRANSIENT_STATUSES: dict[int, type[BrokerError]] = {429: RateLimited, 502: BrokerUnavailable,
                                                    503: BrokerUnavailable, 504: NetworkError}
_REFINED_BY_MESSAGE = (InvalidOrder, OrderRejected, BrokerError)


def error_class(status: int, error_type: str | None, message: str = "") -> type[BrokerError]:
    """Which unified error a Kite error answer is: transient HTTP statuses first, then a message hint
    for the vague types, then the documented `error_type`, then the HTTP status alone."""
    if status in TRANSIENT_STATUSES:
        return TRANSIENT_STATUSES[status]
    kind = ERROR_TABLE.classify(code=error_type or "", http_status=status)
    if kind in _REFINED_BY_MESSAGE:
        hinted = ERROR_TABLE.classify(message=message)
        if hinted is not ERROR_TABLE.default:
            return hinted
    return kind
