"""Pure translations between the unified (OpenAlgo) vocabulary and the Upstox Developer API's fields.

No I/O here: instrument keys and segments, products, price types, order statuses, timestamps, the JSON
bodies of the v3 order calls, and the table that turns Upstox's error answers (`UDAPI...` codes + HTTP
status) into the unified error kinds. Every function is a lookup or a small rule, tested on the sample
payloads in tests/fixtures/upstox.

Upstox names instruments by `instrument_key` = `SEGMENT|TOKEN` (`NSE_EQ|INE062A01020`, `NSE_FO|52567`,
`NSE_INDEX|Nifty 50`); the segment says the exchange and market. Books report an `exchange` (NSE, NFO,
...) next to that key; the segment is what we trust.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from broker.errors import (AuthError, BrokerError, BrokerUnavailable, ErrorTable, InsufficientFunds,
                           InvalidOrder, NetworkError, OrderNotFound, OrderRejected, RateLimited, TokenExpired,
                           UnknownSymbol)
from utils.constants import (ORDER_STATUS_CANCELLED, ORDER_STATUS_COMPLETE, ORDER_STATUS_OPEN,
                             ORDER_STATUS_REJECTED, ORDER_STATUS_TRIGGER_PENDING)

BROKER = "upstox"
IST = timezone(timedelta(hours=5, minutes=30))
UNIFIED_TIME_FORMAT = "%d-%b-%Y %H:%M:%S"          # what the order book shows, IST

# segment of an instrument key → unified exchange (Upstox docs, "Instruments": segment values)
SEGMENT_TO_EXCHANGE = {
    "NSE_EQ": "NSE", "BSE_EQ": "BSE", "NSE_FO": "NFO", "BSE_FO": "BFO", "MCX_FO": "MCX",
    "NCD_FO": "CDS", "BCD_FO": "BCD", "NSE_INDEX": "NSE_INDEX", "BSE_INDEX": "BSE_INDEX",
    "MCX_INDEX": "MCX_INDEX",
}
EXCHANGE_TO_SEGMENT = {exchange: segment for segment, exchange in SEGMENT_TO_EXCHANGE.items()}
UNIFIED_EXCHANGES = tuple(SEGMENT_TO_EXCHANGE.values())
DERIVATIVE_SEGMENTS = frozenset({"NSE_FO", "BSE_FO", "MCX_FO", "NCD_FO", "BCD_FO"})

# products (Upstox docs, "Place Order": I = intraday, D = delivery, MTF = margin trading facility).
# D carries a position overnight: delivery (CNC) on the cash segments, carry-forward (NRML) on F&O.
_TO_UPSTOX_PRODUCT = {"MIS": "I", "CNC": "D", "NRML": "D"}

# order statuses (Upstox docs, "Appendix: Order status") → the unified five
_STATUS = {
    "complete": ORDER_STATUS_COMPLETE,
    "rejected": ORDER_STATUS_REJECTED,
    "cancelled": ORDER_STATUS_CANCELLED,
    "cancelled after market order": ORDER_STATUS_CANCELLED,
    "trigger pending": ORDER_STATUS_TRIGGER_PENDING,
    # every other documented state is a working order: put order req received, validation pending,
    # open pending, open, after market order req received, modify(ed) / modify pending / not modified,
    # cancel pending / not cancelled, modify after market order req received
}
ORDER_TYPES = ("MARKET", "LIMIT", "SL", "SL-M")    # Upstox uses the unified names as they are


# --------------------------------------------------------------------------- instruments
def split_instrument_key(key: str) -> tuple[str, str]:
    """`NSE_EQ|INE062A01020` → (`NSE_EQ`, `INE062A01020`); a key without `|` has no segment."""
    segment, _, token = (key or "").partition("|")
    return (segment, token) if token else ("", segment)


def segment_exchange(instrument_key: str) -> str:
    """The unified exchange of an instrument key (`NSE_FO|...` → NFO); empty for unknown segments."""
    return SEGMENT_TO_EXCHANGE.get(split_instrument_key(instrument_key)[0], "")


def quote_key(instrument_key: str, trading_symbol: str) -> str:
    """Quote answers are keyed `SEGMENT:TRADING_SYMBOL` (`NSE_EQ:RELIANCE`), not by instrument key."""
    return f"{split_instrument_key(instrument_key)[0]}:{trading_symbol}"


# --------------------------------------------------------------------------- products, statuses
def to_upstox_product(product: str) -> str:
    return _TO_UPSTOX_PRODUCT[product.upper()]


def to_unified_product(product: str | None, instrument_key: str = "") -> str:
    """I → MIS; D → CNC on the cash segments, NRML on derivatives; MTF (a leveraged delivery) → CNC."""
    code = (product or "").upper()
    if code == "I":
        return "MIS"
    if code == "D" and split_instrument_key(instrument_key)[0] in DERIVATIVE_SEGMENTS:
        return "NRML"
    if code in ("D", "MTF"):
        return "CNC"
    return code


def to_unified_status(status: str | None) -> str:
    return _STATUS.get((status or "").strip().lower(), ORDER_STATUS_OPEN)


def to_unified_pricetype(order_type: str | None) -> str:
    kind = (order_type or "").upper()
    return kind if kind in ORDER_TYPES else "LIMIT"


# --------------------------------------------------------------------------- time
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%d-%b-%Y %H:%M:%S")   # order book / trade book, both IST


def parse_upstox_time(value: str | None) -> datetime | None:
    """Book timestamps (`2023-10-19 09:23:23`, trades `20-Oct-2023 11:10:23`, IST) or ISO candle times
    (`2025-01-02T09:15:00+05:30`) → aware datetime; None when absent or unreadable."""
    if not value:
        return None
    text = str(value).strip()
    if "T" in text:
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            return None
    for pattern in _TIME_FORMATS:
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=IST)
        except ValueError:
            continue
    return None


def to_unified_time(value: str | None) -> str:
    moment = parse_upstox_time(value)
    return moment.astimezone(IST).strftime(UNIFIED_TIME_FORMAT) if moment else ""


def epoch_ms_to_ist(value: int | float | str | None) -> datetime | None:
    """Feed and quote times are epoch milliseconds."""
    try:
        millis = int(value or 0)
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(millis / 1000, IST) if millis > 0 else None


# --------------------------------------------------------------------------- request bodies
def _price_fields(pricetype: str, price: float, trigger_price: float) -> dict[str, float]:
    """Upstox wants both fields on every order: 0 where the price type does not use them."""
    return {"price": float(price) if pricetype in ("LIMIT", "SL") else 0.0,
            "trigger_price": float(trigger_price) if pricetype in ("SL", "SL-M") else 0.0}


def order_body(*, instrument_key: str, action: str, quantity: int, product: str, pricetype: str,
               price: float = 0.0, trigger_price: float = 0.0, disclosed_quantity: int = 0,
               validity: str = "DAY", tag: str = "", is_amo: bool = False, slice_order: bool = True) -> dict[str, Any]:
    """The JSON body of `POST /v3/order/place`. `slice` lets Upstox split a quantity above the exchange's
    freeze limit into several orders (the answer then lists every order id)."""
    pricetype = pricetype.upper()
    body: dict[str, Any] = {
        "quantity": int(quantity), "product": to_upstox_product(product), "validity": validity,
        "tag": (tag or "")[:40], "instrument_token": instrument_key, "order_type": pricetype,
        "transaction_type": action.upper(), "disclosed_quantity": int(disclosed_quantity or 0),
        "is_amo": bool(is_amo), "slice": bool(slice_order),
        **_price_fields(pricetype, price, trigger_price),
    }
    if not body["tag"]:
        del body["tag"]
    return body


def modify_body(*, order_id: str, pricetype: str, quantity: int, price: float = 0.0, trigger_price: float = 0.0,
                disclosed_quantity: int = 0, validity: str = "DAY") -> dict[str, Any]:
    """The JSON body of `PUT /v3/order/modify`."""
    pricetype = pricetype.upper()
    return {"order_id": order_id, "order_type": pricetype, "quantity": int(quantity), "validity": validity,
            "disclosed_quantity": int(disclosed_quantity or 0), **_price_fields(pricetype, price, trigger_price)}


# --------------------------------------------------------------------------- errors
# Upstox error codes (docs, "Error Codes" and the 4XX tables of each endpoint) → the unified tree.
ERROR_CODES: dict[str, type[BrokerError]] = {
    "UDAPI100050": TokenExpired,        # Invalid token used to access API (expired daily or revoked)
    "UDAPI100067": AuthError,           # API not permitted with an extended_token
    "UDAPI100016": AuthError,           # Invalid credentials
    "UDAPI100073": AuthError,           # the app's client_id is inactive
    "UDAPI10005": RateLimited,          # Too Many Request Sent
    "UDAPI100500": BrokerUnavailable,   # Something went wrong... please contact us
    "UDAPI10000": InvalidOrder,         # request not supported (bad URL / path)
    "UDAPI100015": InvalidOrder,        # API version does not exist
    "UDAPI100036": InvalidOrder,        # Invalid Input
    "UDAPI100038": InvalidOrder,        # Invalid input passed to the API
    "UDAPI100010": OrderNotFound,       # Unknown order id
    "UDAPI1004": InvalidOrder,          # Valid order type is required
    "UDAPI1007": InvalidOrder,          # Validity is required
    "UDAPI1055": InvalidOrder,          # The 'validity' is invalid
    "UDAPI1056": InvalidOrder,          # The 'order_type' is invalid
    "UDAPI100060": UnknownSymbol,       # Resource not found (also an instrument key Upstox does not know)
    "UDAPI1105": InvalidOrder,          # exit positions: invalid segment
    "UDAPI1108": OrderRejected,         # exit positions: no open position to exit
    "UDAPI1109": OrderRejected,         # exit positions: too many open positions
}
# messages decide where a code is too general or absent (e.g. RMS rejections on the order itself)
MESSAGE_HINTS = ((r"insufficient|margin exceed|add rs\.|required margin", InsufficientFunds),
                 (r"order not found|unknown order id|invalid order.?id", OrderNotFound),
                 (r"instrument.?(key|token)|invalid symbol", UnknownSymbol),
                 (r"invalid token|token (is )?expired", TokenExpired),
                 (r"is required|is invalid|must be|cannot be|not allowed", InvalidOrder))
ERROR_TABLE = ErrorTable(BROKER, codes=ERROR_CODES, messages=MESSAGE_HINTS)
# whatever the body says, these statuses are the gateway or the throttle talking
TRANSIENT_STATUSES: dict[int, type[BrokerError]] = {429: RateLimited, 500: BrokerUnavailable,
                                                    502: BrokerUnavailable, 503: BrokerUnavailable,
                                                    504: NetworkError}
_REFINED_BY_MESSAGE = (InvalidOrder, OrderRejected, BrokerError)


def first_error(body: Any) -> tuple[str, str]:
    """(code, message) of an Upstox error body `{"status": "error", "errors": [{...}]}`; both spellings
    of the code are sent (error_code, and the deprecated errorCode)."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not errors or not isinstance(errors, list) or not isinstance(errors[0], dict):
        return "", ""
    entry = errors[0]
    return str(entry.get("error_code") or entry.get("errorCode") or ""), str(entry.get("message") or "")


def error_class(status: int, code: str, message: str = "") -> type[BrokerError]:
    """Which unified error an Upstox error answer is: a specific known code first (UDAPI100050 →
    TokenExpired whatever the status), then throttle / gateway statuses, then a message hint for the
    vague kinds and code-less answers, then the HTTP status alone."""
    if code in ERROR_CODES and ERROR_CODES[code] not in _REFINED_BY_MESSAGE:
        return ERROR_CODES[code]
    if status in TRANSIENT_STATUSES:
        return TRANSIENT_STATUSES[status]
    kind = ERROR_TABLE.classify(code=code, http_status=status)    # a 401 without a known code: TokenExpired
    if kind in _REFINED_BY_MESSAGE or not code:
        hinted = ERROR_TABLE.classify(message=message)
        if hinted is not ERROR_TABLE.default:
            return hinted
    return kind
