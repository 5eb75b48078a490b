"""Pure translations between the unified (OpenAlgo) vocabulary and Angel One SmartAPI's fields.

No I/O here: exchanges (and their SmartStream exchange-type numbers), varieties, order types, products,
order statuses, timestamps, the JSON bodies of the order endpoints, and the error table that turns
SmartAPI's `errorcode` / `message` answers into the unified error kinds (SmartAPI docs, "Orders",
"Exceptions", "WebSocket 2.0").
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from broker.errors import (AuthError, BrokerError, BrokerUnavailable, ErrorTable, InsufficientFunds, InvalidOrder,
                           OrderNotFound, OrderRejected, RateLimited, TokenExpired, UnknownSymbol)
from utils.constants import (ORDER_STATUS_CANCELLED, ORDER_STATUS_COMPLETE, ORDER_STATUS_OPEN,
                             ORDER_STATUS_REJECTED, ORDER_STATUS_TRIGGER_PENDING)

IST = timezone(timedelta(hours=5, minutes=30))
# SmartAPI's order-book and quote times (`20-Mar-2024 14:54:56`, IST) already have the unified form
ANGEL_TIME_FORMAT = "%d-%b-%Y %H:%M:%S"
CANDLE_REQUEST_FORMAT = "%Y-%m-%d %H:%M"      # getCandleData fromdate / todate, IST

ANGEL_EXCHANGES = ("NSE", "BSE", "NFO", "BFO", "CDS", "MCX")
UNIFIED_EXCHANGES = ANGEL_EXCHANGES + ("NSE_INDEX", "BSE_INDEX", "MCX_INDEX")
_TO_ANGEL_EXCHANGE = {"NSE_INDEX": "NSE", "BSE_INDEX": "BSE", "MCX_INDEX": "MCX"}

# SmartStream 2.0 `exchangeType` numbers (WebSocket 2.0 docs: nse_cm 1, nse_fo 2, bse_cm 3, bse_fo 4,
# mcx_fo 5, ncx_fo 7, cde_fo 13)
EXCHANGE_TYPES = {"NSE": 1, "NFO": 2, "BSE": 3, "BFO": 4, "MCX": 5, "NCDEX": 7, "CDS": 13}
EXCHANGE_BY_TYPE = {number: name for name, number in EXCHANGE_TYPES.items()}

ORDER_TYPES = {"MARKET": "MARKET", "LIMIT": "LIMIT", "SL": "STOPLOSS_LIMIT", "SL-M": "STOPLOSS_MARKET"}
PRICE_TYPES = {angel: unified for unified, angel in ORDER_TYPES.items()}
PRODUCTS = {"CNC": "DELIVERY", "NRML": "CARRYFORWARD", "MIS": "INTRADAY"}
# MARGIN (margin delivery) is carried forward like NRML; BO (bracket legs) are intraday
UNIFIED_PRODUCTS = {"DELIVERY": "CNC", "CARRYFORWARD": "NRML", "MARGIN": "NRML", "INTRADAY": "MIS", "BO": "MIS"}
VARIETY_NORMAL, VARIETY_STOPLOSS, VARIETY_AMO = "NORMAL", "STOPLOSS", "AMO"

# SmartAPI's `orderstatus` (lower case) → the contract's five; pipeline states ("open pending",
# "validation pending", "modify pending", "after market order req received", ...) are still working → open
_STATUS = {
    "complete": ORDER_STATUS_COMPLETE,
    "cancelled": ORDER_STATUS_CANCELLED,
    "rejected": ORDER_STATUS_REJECTED,
    "trigger pending": ORDER_STATUS_TRIGGER_PENDING,
    "open": ORDER_STATUS_OPEN,
}


def to_angel_exchange(exchange: str) -> str:
    return _TO_ANGEL_EXCHANGE.get(exchange, exchange)


def exchange_type(exchange: str) -> int:
    """SmartStream exchange type of a unified or Angel exchange code; KeyError when it has none."""
    return EXCHANGE_TYPES[to_angel_exchange(exchange)]


def to_unified_status(status: str | None) -> str:
    return _STATUS.get((status or "").strip().lower(), ORDER_STATUS_OPEN)


def to_unified_product(product: str | None) -> str:
    return UNIFIED_PRODUCTS.get((product or "").upper(), "MIS")


def to_unified_pricetype(order_type: str | None) -> str:
    return PRICE_TYPES.get((order_type or "").upper(), "LIMIT")


def parse_angel_time(value: str | None) -> datetime | None:
    """`21-Mar-2024 14:58:01` (IST) or ISO `2023-09-06T11:15:00+05:30` → aware datetime; None if unreadable."""
    if not value:
        return None
    text = value.strip()
    try:
        if "T" in text:
            return datetime.fromisoformat(text)
        return datetime.strptime(text, ANGEL_TIME_FORMAT).replace(tzinfo=IST)
    except ValueError:
        return None


def to_unified_time(value: str | None) -> str:
    moment = parse_angel_time(value)
    return moment.astimezone(IST).strftime(ANGEL_TIME_FORMAT) if moment else ""


def _number(value: float) -> str:
    """SmartAPI's samples send prices and quantities as strings; `194.5`, `0`."""
    text = f"{float(value):.4f}".rstrip("0").rstrip(".")
    return text or "0"


def variety_for(pricetype: str, amo: bool) -> str:
    """AMO outside market hours; STOPLOSS for trigger orders; NORMAL otherwise (Orders docs, "variety")."""
    if amo:
        return VARIETY_AMO
    return VARIETY_STOPLOSS if pricetype in ("SL", "SL-M") else VARIETY_NORMAL


def order_body(*, variety: str, exchange: str, trading_symbol: str, token: str, action: str, quantity: int,
               product: str, pricetype: str, price: float = 0.0, trigger_price: float = 0.0,
               disclosed_quantity: int = 0, tag: str = "") -> dict[str, Any]:
    """The JSON body of `placeOrder`."""
    pricetype = pricetype.upper()
    body: dict[str, Any] = {
        "variety": variety, "tradingsymbol": trading_symbol, "symboltoken": str(token),
        "transactiontype": action.upper(), "exchange": to_angel_exchange(exchange),
        "ordertype": ORDER_TYPES[pricetype], "producttype": PRODUCTS[product.upper()], "duration": "DAY",
        "price": _number(price if pricetype in ("LIMIT", "SL") else 0),
        "triggerprice": _number(trigger_price if pricetype in ("SL", "SL-M") else 0),
        "squareoff": "0", "stoploss": "0", "quantity": str(int(quantity)),
    }
    if disclosed_quantity:
        body["disclosedquantity"] = str(int(disclosed_quantity))
    if tag:
        body["ordertag"] = tag[:19]        # AB4008: ordertag must be shorter than 20 characters
    return body


def modify_body(*, variety: str, order_id: str, exchange: str, trading_symbol: str, token: str, quantity: int,
                product: str, pricetype: str, price: float = 0.0, trigger_price: float = 0.0) -> dict[str, Any]:
    """The JSON body of `modifyOrder` (the variety the order was placed with)."""
    pricetype = pricetype.upper()
    return {"variety": variety, "orderid": order_id, "ordertype": ORDER_TYPES[pricetype],
            "producttype": PRODUCTS[product.upper()], "duration": "DAY",
            "price": _number(price if pricetype in ("LIMIT", "SL") else 0),
            "triggerprice": _number(trigger_price if pricetype in ("SL", "SL-M") else 0),
            "quantity": str(int(quantity)), "tradingsymbol": trading_symbol, "symboltoken": str(token),
            "exchange": to_angel_exchange(exchange)}


# --------------------------------------------------------------------------- errors
# SmartAPI's `errorcode` values (docs, "Exceptions"; AB4006 from recorded answers) → the unified tree.
ERROR_CODES: dict[str, type[BrokerError]] = {
    "AG8001": TokenExpired,        # Invalid Token
    "AG8002": TokenExpired,        # Token Expired
    "AG8003": TokenExpired,        # Token missing
    "AB8050": TokenExpired,        # Invalid Refresh Token
    "AB8051": TokenExpired,        # Refresh Token Expired
    "AB1010": TokenExpired,        # AMX Session Expired
    "AB1011": TokenExpired,        # Client not login
    "AB1000": AuthError,           # Invalid Email Or Password
    "AB1001": AuthError,           # Invalid Email
    "AB1002": AuthError,           # Invalid Password Length
    "AB1005": AuthError,           # User Type Must Be USER
    "AB1006": AuthError,           # Client is block for trading
    "AB1031": AuthError,           # Old Password Mismatch
    "AB1032": AuthError,           # User Not Found
    "AB1050": AuthError,           # Invalid TOTP
    "AB1004": BrokerUnavailable,   # Something Went Wrong, Please Try After Sometime
    "AB2001": BrokerUnavailable,   # Internal Error, Please try after sometime
    "AB1008": InvalidOrder,        # Invalid Order Variety
    "AB1012": InvalidOrder,        # Invalid Product Type
    "AB4008": InvalidOrder,        # ordertag length should be less than 20 characters
    "AB1009": UnknownSymbol,       # Symbol Not Found
    "AB1018": UnknownSymbol,       # Failed to get symbol details
    "AB4006": UnknownSymbol,       # Invalid symboltoken
    "AB1013": OrderNotFound,       # Order not found
    "AB1017": OrderRejected,       # Position conversion failed
    "AB2002": OrderRejected,       # ROBO order is block
}
# AB2000 ("Error not specified") carries the real reason in its message, so it is left to the patterns below
# and otherwise falls to the default (BrokerError).
# SmartAPI throttles with HTTP 403 + "Access denied because of exceeding access rate" (not 429): the
# message decides before the status, so a throttle is never read as an ended session.
MESSAGE_HINTS = ((r"exceeding access rate|too many requests|rate limit", RateLimited),
                 (r"insufficient|shortfall|margin exceed", InsufficientFunds),
                 (r"lot size|multiple of|invalid (price|quantity|triggerprice|ordertype|duration)|tick size",
                  InvalidOrder),
                 (r"cannot be (changed|modified|cancell?ed)|not allowed", OrderRejected),
                 (r"invalid totp|totp", AuthError),
                 (r"order not found|invalid order ?id|rule not found", OrderNotFound),
                 (r"invalid (symbol|symboltoken|trading ?symbol)", UnknownSymbol),
                 (r"invalid token|token expired|unauthori[sz]ed access", TokenExpired))
ERROR_TABLE = ErrorTable("angel", codes=ERROR_CODES, messages=MESSAGE_HINTS)
