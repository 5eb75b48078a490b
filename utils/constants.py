"""The contract's enumerations (API_CONTRACT.md §2): exchanges, products, price types, statuses."""
from __future__ import annotations

# §2.1: every exchange code the API accepts, in the contract's order.
EXCHANGES = ("NSE", "BSE", "NFO", "BFO", "CDS", "BCD", "MCX", "NCDEX", "NCO",
             "NSE_INDEX", "BSE_INDEX", "MCX_INDEX", "GLOBAL_INDEX", "CRYPTO")
QUOTE_ONLY_EXCHANGES = ("NSE_INDEX", "BSE_INDEX", "MCX_INDEX", "GLOBAL_INDEX")
TRADABLE_EXCHANGES = tuple(e for e in EXCHANGES if e not in QUOTE_ONLY_EXCHANGES)
CASH_EXCHANGES = ("NSE", "BSE")
# used by /expiry and /optiongreeks
FNO_EXCHANGES = ("NFO", "BFO", "MCX", "CDS", "NCO", "BCD", "NCDEX", "CRYPTO")
# what the SDK's instruments() iterates over when no exchange is given
SDK_INSTRUMENT_EXCHANGES = ("NSE", "BSE", "NFO", "BFO", "MCX", "CDS", "BCD", "NSE_INDEX", "BSE_INDEX")
FRACTIONAL_QUANTITY_EXCHANGES = ("CRYPTO",)

# Documented request limits (README "Limits"): beyond them a request is refused with a 400 naming the field.
# Far above any real order (exchange freeze quantities are thousands of units), and far below what the
# databases' 64-bit integers and the margin arithmetic (quantity x price) can hold.
MAX_ORDER_QUANTITY = 1_000_000_000
MAX_PRICE = 1_000_000_000.0

ACTIONS = ("BUY", "SELL")
PRODUCTS = ("CNC", "NRML", "MIS")
PRICE_TYPES = ("MARKET", "LIMIT", "SL", "SL-M")
OPTION_TYPES = ("CE", "PE")

ORDER_STATUS_OPEN = "open"
ORDER_STATUS_COMPLETE = "complete"
ORDER_STATUS_CANCELLED = "cancelled"
ORDER_STATUS_REJECTED = "rejected"
ORDER_STATUS_TRIGGER_PENDING = "trigger pending"
ORDER_STATUSES = (ORDER_STATUS_OPEN, ORDER_STATUS_COMPLETE, ORDER_STATUS_CANCELLED,
                  ORDER_STATUS_REJECTED, ORDER_STATUS_TRIGGER_PENDING)

# WebSocket modes (§13.4)
MODE_LTP, MODE_QUOTE, MODE_DEPTH = 1, 2, 3
MODE_LABELS = {MODE_LTP: "LTP", MODE_QUOTE: "Quote", MODE_DEPTH: "Depth"}

# Index underlyings whose derivatives trade on NFO / BFO (§8 step 2)
NSE_INDEX_UNDERLYINGS = ("NIFTY", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY", "NIFTYNXT50", "INDIAVIX")
BSE_INDEX_UNDERLYINGS = ("SENSEX", "BANKEX", "SENSEX50")

IST_ZONE = "Asia/Kolkata"
