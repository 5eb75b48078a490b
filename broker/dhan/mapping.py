"""Pure translations between the unified (OpenAlgo) vocabulary and DhanHQ v2's fields.

No I/O here: exchange segments, products, order types, order statuses, timestamps, the JSON body of an
order, and the error table that turns Dhan's answers into the unified error kinds. Every value comes
from the DhanHQ v2 documentation's Annexure (https://dhanhq.co/docs/v2/annexure/).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from broker.errors import (AuthError, BrokerError, BrokerUnavailable, ErrorTable, InsufficientFunds, InvalidOrder,
                           NetworkError, OrderNotFound, OrderRejected, RateLimited, TokenExpired, UnknownSymbol)
from utils.constants import (ORDER_STATUS_CANCELLED, ORDER_STATUS_COMPLETE, ORDER_STATUS_OPEN,
                             ORDER_STATUS_REJECTED, ORDER_STATUS_TRIGGER_PENDING)

IST = timezone(timedelta(hours=5, minutes=30))
DHAN_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"        # createTime / updateTime / exchangeTime, IST
UNIFIED_TIME_FORMAT = "%d-%b-%Y %H:%M:%S"     # what the order book shows, IST

# unified exchange → Dhan exchange segment (Annexure, "Exchange Segment"); both index exchanges are IDX_I
SEGMENTS = {"NSE": "NSE_EQ", "BSE": "BSE_EQ", "NFO": "NSE_FNO", "BFO": "BSE_FNO", "MCX": "MCX_COMM",
            "CDS": "NSE_CURRENCY", "BCD": "BSE_CURRENCY", "NSE_INDEX": "IDX_I", "BSE_INDEX": "IDX_I"}
UNIFIED_EXCHANGES = tuple(SEGMENTS)
_FROM_SEGMENT = {segment: exchange for exchange, segment in SEGMENTS.items() if segment != "IDX_I"}
# the numeric enum of each segment, used by the binary market feed's header byte
SEGMENT_CODES = {"IDX_I": 0, "NSE_EQ": 1, "NSE_FNO": 2, "NSE_CURRENCY": 3, "BSE_EQ": 4, "MCX_COMM": 5,
                 "BSE_CURRENCY": 7, "BSE_FNO": 8}
SEGMENT_NAMES = {code: name for name, code in SEGMENT_CODES.items()}
# (exchange, segment letter) as the scrip master and order updates write them → exchange segment
SEGMENT_LETTERS = {("NSE", "E"): "NSE_EQ", ("BSE", "E"): "BSE_EQ", ("NSE", "D"): "NSE_FNO", ("BSE", "D"): "BSE_FNO",
                   ("NSE", "C"): "NSE_CURRENCY", ("BSE", "C"): "BSE_CURRENCY", ("MCX", "M"): "MCX_COMM",
                   ("NSE", "I"): "IDX_I", ("BSE", "I"): "IDX_I"}

# products: MARGIN is Dhan's carry-forward for F&O, MTF its margin-funded delivery; CO / BO are intraday
_TO_PRODUCT = {"CNC": "CNC", "MIS": "INTRADAY", "NRML": "MARGIN"}
_FROM_PRODUCT = {"CNC": "CNC", "MTF": "CNC", "INTRADAY": "MIS", "CO": "MIS", "BO": "MIS", "MARGIN": "NRML"}
_TO_ORDER_TYPE = {"MARKET": "MARKET", "LIMIT": "LIMIT", "SL": "STOP_LOSS", "SL-M": "STOP_LOSS_MARKET"}
_FROM_ORDER_TYPE = {dhan: unified for unified, dhan in _TO_ORDER_TYPE.items()}
_STOP_TYPES = ("STOP_LOSS", "STOP_LOSS_MARKET")

# Dhan's order statuses → the contract's five. TRANSIT (not yet at the exchange) and PART_TRADED are
# still working; EXPIRED orders died unfilled at the end of their validity, like a cancellation. CLOSED
# and TRIGGERED belong to super orders (both legs placed / a leg fired).
_STATUS = {"TRANSIT": ORDER_STATUS_OPEN, "PENDING": ORDER_STATUS_OPEN, "PART_TRADED": ORDER_STATUS_OPEN,
           "TRADED": ORDER_STATUS_COMPLETE, "REJECTED": ORDER_STATUS_REJECTED,
           "CANCELLED": ORDER_STATUS_CANCELLED, "EXPIRED": ORDER_STATUS_CANCELLED,
           "CLOSED": ORDER_STATUS_COMPLETE, "TRIGGERED": ORDER_STATUS_OPEN}


def to_segment(exchange: str) -> str:
    try:
        return SEGMENTS[exchange]
    except KeyError:
        raise ValueError(f"exchange {exchange!r} is not offered by Dhan; use one of {', '.join(SEGMENTS)}") from None


def to_unified_exchange(segment: str, index_exchange: str = "NSE") -> str:
    """`NSE_FNO` → `NFO`; an IDX_I instrument goes to NSE_INDEX or BSE_INDEX by its listing exchange."""
    if segment == "IDX_I":
        return f"{index_exchange}_INDEX"
    return _FROM_SEGMENT.get(segment, segment)


def to_dhan_product(product: str) -> str:
    return _TO_PRODUCT[product.upper()]


def to_unified_product(product: str | None) -> str:
    return _FROM_PRODUCT.get((product or "").upper(), product or "")


def to_dhan_order_type(pricetype: str) -> str:
    return _TO_ORDER_TYPE[pricetype.upper()]


def to_unified_pricetype(order_type: str | None) -> str:
    return _FROM_ORDER_TYPE.get((order_type or "").upper(), "LIMIT")


def to_unified_status(status: str | None, order_type: str | None = None) -> str:
    """A PENDING stop-loss order is waiting for its trigger; anything unknown is still working."""
    status = (status or "").upper()
    if status == "PENDING" and (order_type or "").upper() in _STOP_TYPES:
        return ORDER_STATUS_TRIGGER_PENDING
    return _STATUS.get(status, ORDER_STATUS_OPEN)


def parse_dhan_time(value: str | None) -> datetime | None:
    """`2024-09-11 10:14:21` (IST) → aware datetime; None for empty text and Dhan's `0001-01-01` filler."""
    if not value or value.startswith("0001-01-01"):
        return None
    try:
        return datetime.strptime(value.strip()[:19], DHAN_TIME_FORMAT).replace(tzinfo=IST)
    except ValueError:
        return None


def to_unified_time(value: str | None) -> str:
    moment = parse_dhan_time(value)
    return moment.strftime(UNIFIED_TIME_FORMAT) if moment else ""


def _price_fields(pricetype: str, price: float, trigger_price: float) -> dict[str, float]:
    """Dhan wants both numbers on every order; the ones the type does not use are sent as 0."""
    return {"price": float(price) if pricetype in ("LIMIT", "SL") else 0.0,
            "triggerPrice": float(trigger_price) if pricetype in ("SL", "SL-M") else 0.0}


def order_body(*, client_id: str, segment: str, security_id: str, action: str, quantity: int, product: str,
               pricetype: str, price: float = 0.0, trigger_price: float = 0.0, disclosed_quantity: int = 0,
               validity: str = "DAY", amo: bool = False, correlation_id: str = "") -> dict[str, Any]:
    """The JSON body of `POST /orders` (and `/orders/slicing`)."""
    pricetype = pricetype.upper()
    body: dict[str, Any] = {
        "dhanClientId": client_id, "transactionType": action.upper(), "exchangeSegment": segment,
        "productType": to_dhan_product(product), "orderType": to_dhan_order_type(pricetype),
        "validity": validity, "securityId": str(security_id), "quantity": int(quantity),
        "disclosedQuantity": int(disclosed_quantity or 0), "afterMarketOrder": bool(amo),
        **_price_fields(pricetype, price, trigger_price)}
    if amo:
        body["amoTime"] = "OPEN"     # pumped to the exchange at the next open (Annexure, AMO time)
    if correlation_id:
        body["correlationId"] = correlation_id[:25]   # Dhan keeps up to 25 characters
    return body


def modify_body(*, client_id: str, order_id: str, pricetype: str, quantity: int, price: float = 0.0,
                trigger_price: float = 0.0, disclosed_quantity: int = 0, validity: str = "DAY") -> dict[str, Any]:
    """The JSON body of `PUT /orders/{order-id}`."""
    pricetype = pricetype.upper()
    return {"dhanClientId": client_id, "orderId": str(order_id), "orderType": to_dhan_order_type(pricetype),
            "legName": "ENTRY_LEG", "quantity": int(quantity), "disclosedQuantity": int(disclosed_quantity or 0),
            "validity": validity, **_price_fields(pricetype, price, trigger_price)}


# --------------------------------------------------------------------------- errors
# Trading API errors (Annexure, "Trading API Error": body `{"errorType", "errorCode", "errorMessage"}`)
# and the Data API's numeric codes (Annexure, "Data API Error") → the unified tree.
ERROR_CODES: dict[str, type[BrokerError]] = {
    "DH-901": TokenExpired,        # client id or access token invalid or expired
    "DH-902": AuthError,           # no access to Trading APIs / Data APIs not subscribed
    "DH-903": OrderRejected,       # the account: segment not activated, other requirements
    "DH-904": RateLimited,         # too many requests from this user
    "DH-905": InvalidOrder,        # missing required fields, bad parameter values
    "DH-906": OrderRejected,       # the order request cannot be processed
    "DH-907": UnknownSymbol,       # no data for these parameters (wrong security id / segment)
    "DH-908": BrokerUnavailable,   # Dhan could not process the request
    "DH-909": NetworkError,        # Dhan could not reach its backend
    "DH-910": BrokerError,         # other reasons
    "800": BrokerUnavailable, "804": InvalidOrder, "805": RateLimited, "806": AuthError, "807": TokenExpired,
    "808": TokenExpired, "809": TokenExpired, "810": AuthError, "811": InvalidOrder, "812": InvalidOrder,
    "813": UnknownSymbol, "814": InvalidOrder,
}
# the vague codes say more in their message (e.g. RMS margin shortfalls arrive as DH-906)
MESSAGE_HINTS = ((r"insufficient|margin exceed|required margin|rms:margin", InsufficientFunds),
                 (r"order (id )?not found|invalid order ?id|no order", OrderNotFound),
                 (r"invalid security|security ?id", UnknownSymbol))
ERROR_TABLE = ErrorTable("dhan", codes=ERROR_CODES, messages=MESSAGE_HINTS)
_REFINED_BY_MESSAGE = (OrderRejected, InvalidOrder, BrokerError)
TRANSIENT_STATUSES: dict[int, type[BrokerError]] = {429: RateLimited, 502: BrokerUnavailable,
                                                    503: BrokerUnavailable, 504: NetworkError}


def error_class(status: int, code: str, message: str = "") -> type[BrokerError]:
    """Which unified error a Dhan error answer is: the throttle and gateway statuses first, then the
    documented code (refined by its message where the code is vague), then the HTTP status alone."""
    if status in TRANSIENT_STATUSES:
        return TRANSIENT_STATUSES[status]
    kind = ERROR_TABLE.classify(code=code, http_status=status)
    if kind in _REFINED_BY_MESSAGE:
        hinted = ERROR_TABLE.classify(message=message)
        if hinted is not ERROR_TABLE.default:
            return hinted
    return kind
