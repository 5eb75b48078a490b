"""Pure translations between the unified contract and the Noren OMS's codes: no I/O, no state.

From the public Noren API documentation (the Shoonya-Dev/ShoonyaApi-py README, "place_order" and
"Order Book"): products `prd` C (CNC), M (NRML), I (MIS), B (bracket), H (cover); `trantype` B / S;
`prctyp` LMT / MKT / SL-LMT / SL-MKT; retention `ret` DAY / IOC / EOS; order statuses OPEN, PENDING,
TRIGGER_PENDING, COMPLETE, CANCELED, REJECTED; exchanges NSE, BSE, NFO, BFO, CDS, MCX. Rows carry
numbers as strings and times as `HH:MM:SS DD-MM-YYYY` (`norentm`) or `DD-MM-YYYY HH:MM:SS` (`exch_tm`,
`fltm`), IST.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from broker.contract import Holding, Order, OrderEvent, Position, SymbolLookup, Trade

IST = timezone(timedelta(hours=5, minutes=30))
UNIFIED_TIME_FORMAT = "%d-%b-%Y %H:%M:%S"

# unified exchange → Noren's; indices are quoted on their exchange (NSE / BSE) by token
EXCHANGES = {"NSE": "NSE", "BSE": "BSE", "NFO": "NFO", "BFO": "BFO", "CDS": "CDS", "MCX": "MCX",
             "NSE_INDEX": "NSE", "BSE_INDEX": "BSE"}
PRODUCTS = {"CNC": "C", "NRML": "M", "MIS": "I"}
# bracket (B) and cover (H) orders are intraday: they show as MIS
UNIFIED_PRODUCTS = {"C": "CNC", "M": "NRML", "I": "MIS", "B": "MIS", "H": "MIS"}
PRICE_TYPES = {"MARKET": "MKT", "LIMIT": "LMT", "SL": "SL-LMT", "SL-M": "SL-MKT"}
UNIFIED_PRICE_TYPES = {code: unified for unified, code in PRICE_TYPES.items()}
SIDES = {"BUY": "B", "SELL": "S"}
UNIFIED_SIDES = {"B": "BUY", "S": "SELL"}
RETENTIONS = ("DAY", "IOC", "EOS")
STATUSES = {"OPEN": "open", "PENDING": "open", "TRIGGER_PENDING": "trigger pending", "COMPLETE": "complete",
            "CANCELED": "cancelled", "CANCELLED": "cancelled", "REJECTED": "rejected", "REJECT": "rejected"}


def unified_status(status: str | None) -> str:
    return STATUSES.get((status or "").strip().upper().replace(" ", "_"), "open")


def noren_time(text: str | None) -> str:
    """`15:06:38 14-06-2022` or `14-06-2022 15:06:38` (IST) → `14-Jun-2022 15:06:38`; other text as is."""
    text = (text or "").strip()
    for layout in ("%H:%M:%S %d-%m-%Y", "%d-%m-%Y %H:%M:%S"):
        try:
            return datetime.strptime(text, layout).strftime(UNIFIED_TIME_FORMAT)
        except ValueError:
            continue
    return text


def number(row: Mapping[str, Any], name: str) -> float:
    try:
        return float(row.get(name) or 0)
    except (TypeError, ValueError):
        return 0.0


def whole(row: Mapping[str, Any], name: str) -> int:
    return int(number(row, name))


class SymbolNames:
    """Noren's (exch, tsym) → OpenAlgo (symbol, exchange) through the master contract, or Noren's own
    trading symbol when the contract is not loaded."""

    def __init__(self, symbols: SymbolLookup | None):
        self.symbols = symbols

    def __call__(self, exch: str, tsym: str) -> tuple[str, str]:
        found = self.symbols.by_brsymbol(tsym, exch) if self.symbols else None
        if found is not None:
            return found.symbol, found.exchange
        return tsym, exch


def order_fields(brsymbol: str, exchange: str, action: str, quantity: float, product: str, pricetype: str,
                 price: float, trigger_price: float) -> dict[str, str]:
    """The order fields of PlaceOrder (and, less product/side, ModifyOrder). Noren wants every number as
    a string; a market order carries price 0, a stop order its trigger."""
    fields = {"exch": EXCHANGES[exchange], "tsym": brsymbol, "qty": str(int(quantity)),
              "prd": PRODUCTS[product], "trantype": SIDES[action], "prctyp": PRICE_TYPES[pricetype],
              "prc": str(price if pricetype in ("LIMIT", "SL") else 0)}
    if pricetype in ("SL", "SL-M"):
        fields["trgprc"] = str(trigger_price)
    return fields


def to_order(row: Mapping[str, Any], names: SymbolNames) -> Order:
    symbol, exchange = names(str(row.get("exch") or ""), str(row.get("tsym") or ""))
    pricetype = UNIFIED_PRICE_TYPES.get(str(row.get("prctyp")), "LIMIT")
    status = unified_status(row.get("status"))
    return Order(order_id=str(row["norenordno"]), symbol=symbol, exchange=exchange,
                 action=UNIFIED_SIDES.get(str(row.get("trantype")), "BUY"), quantity=whole(row, "qty"),
                 product=UNIFIED_PRODUCTS.get(str(row.get("prd") or row.get("pcode")), "MIS"), pricetype=pricetype,
                 status=status, price=0.0 if pricetype in ("MARKET", "SL-M") else number(row, "prc"),
                 trigger_price=number(row, "trgprc"), filled_quantity=whole(row, "fillshares"),
                 average_price=number(row, "avgprc"),
                 rejection_reason=str(row.get("rejreason") or "") if status == "rejected" else "",
                 timestamp=noren_time(row.get("norentm") or row.get("exch_tm")), raw=dict(row))


def to_order_event(message: Mapping[str, Any], names: SymbolNames) -> OrderEvent:
    """An `om` WebSocket message (the order-book row's fields, product as `pcode`) → OrderEvent."""
    return OrderEvent.from_order(to_order(message, names))


def to_trade(row: Mapping[str, Any], names: SymbolNames) -> Trade:
    symbol, exchange = names(str(row.get("exch") or ""), str(row.get("tsym") or ""))
    return Trade(order_id=str(row["norenordno"]), symbol=symbol, exchange=exchange,
                 action=UNIFIED_SIDES.get(str(row.get("trantype")), "BUY"), quantity=whole(row, "flqty"),
                 average_price=number(row, "flprc"), product=UNIFIED_PRODUCTS.get(str(row.get("prd")), "MIS"),
                 trade_id=str(row.get("flid") or ""), timestamp=noren_time(row.get("fltm") or row.get("exch_tm")),
                 raw=dict(row))


def to_position(row: Mapping[str, Any], names: SymbolNames) -> Position:
    symbol, exchange = names(str(row.get("exch") or ""), str(row.get("tsym") or ""))
    quantity = whole(row, "netqty")
    realized, unrealized = number(row, "rpnl"), number(row, "urmtom")
    return Position(symbol=symbol, exchange=exchange, product=UNIFIED_PRODUCTS.get(str(row.get("prd")), "MIS"),
                    quantity=quantity, average_price=number(row, "netavgprc"), ltp=number(row, "lp"),
                    pnl=round(realized + unrealized, 2), realized_pnl=realized, unrealized_pnl=unrealized,
                    raw=dict(row))


def to_holding(row: Mapping[str, Any], names: SymbolNames) -> Holding | None:
    """A Holdings row: one per ISIN, listed on each exchange in `exch_tsym` (NSE preferred). The
    sellable quantity is the demat (`npoadqty`/`dpqty`) plus T1 (`btstqty`) shares, less those used."""
    listings = row.get("exch_tsym") or []
    if not listings:
        return None
    listing = next((x for x in listings if x.get("exch") == "NSE"), listings[0])
    symbol, exchange = names(str(listing.get("exch") or ""), str(listing.get("tsym") or ""))
    quantity = (max(whole(row, "npoadqty"), whole(row, "dpqty")) + whole(row, "btstqty") + whole(row, "holdqty")
                - whole(row, "usedqty"))
    average = number(row, "upldprc")
    return Holding(symbol=symbol, exchange=exchange, quantity=quantity, average_price=average, product="CNC",
                   raw=dict(row))
