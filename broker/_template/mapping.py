"""Pure translations between the unified contract and the broker's own codes: no I/O, no state.

Everything here is a table or a small function so request and response tests can check it without a
server. Fill each table from the broker's documentation and cite the page (the template broker is
fictional; its codes are the ones its fake server, tests/brokers/_template/fake.py, speaks).
"""
from __future__ import annotations

from typing import Any, Mapping

from broker.contract import Order, OrderEvent, Position, Trade
from broker.contract import SymbolLookup

# unified → broker; the reverse maps are derived so the two never disagree
EXCHANGES = {"NSE": "NSE", "BSE": "BSE", "NFO": "NFO", "NSE_INDEX": "NSE_IDX"}
PRODUCTS = {"CNC": "DELIVERY", "MIS": "INTRADAY", "NRML": "CARRY"}
PRICE_TYPES = {"MARKET": "MKT", "LIMIT": "LMT", "SL": "SL", "SL-M": "SLM"}
# broker order status → unified (utils.constants.ORDER_STATUSES)
STATUSES = {"OPEN": "open", "PENDING": "open", "TRIGGER_PENDING": "trigger pending", "FILLED": "complete",
            "CANCELLED": "cancelled", "REJECTED": "rejected"}
# the broker's streaming modes for the unified 1 LTP / 2 Quote / 3 Depth
FEED_MODES = {1: "ltp", 2: "quote", 3: "full"}
# unified history interval → the broker's
INTERVALS = {"1m": "1minute", "5m": "5minute", "D": "day"}

UNIFIED_EXCHANGES = {code: unified for unified, code in EXCHANGES.items()}
UNIFIED_PRODUCTS = {code: unified for unified, code in PRODUCTS.items()}
UNIFIED_PRICE_TYPES = {code: unified for unified, code in PRICE_TYPES.items()}


class SymbolNames:
    """Broker rows name instruments by token; the master contract turns them back into OpenAlgo symbols."""

    def __init__(self, symbols: SymbolLookup | None):
        self.symbols = symbols

    def of(self, row: Mapping[str, Any]) -> tuple[str, str]:
        exchange = UNIFIED_EXCHANGES.get(row.get("exchange", ""), row.get("exchange", ""))
        found = self.symbols.by_token(str(row.get("token", "")), exchange) if self.symbols else None
        return (found.symbol if found else str(row.get("symbol", ""))), exchange


def order_body(instrument_token: str, exchange: str, action: str, quantity: float, product: str, pricetype: str,
               price: float = 0.0, trigger_price: float = 0.0) -> dict[str, Any]:
    """The JSON body of `POST /orders` and `PUT /orders/<id>`."""
    return {"token": instrument_token, "exchange": EXCHANGES[exchange], "side": action,
            "quantity": quantity, "product": PRODUCTS[product], "order_type": PRICE_TYPES[pricetype],
            "price": price if pricetype in ("LIMIT", "SL") else 0,
            "trigger_price": trigger_price if pricetype in ("SL", "SL-M") else 0}


def to_order(row: Mapping[str, Any], names: SymbolNames) -> Order:
    symbol, exchange = names.of(row)
    return Order(order_id=str(row["order_id"]), symbol=symbol, exchange=exchange, action=row["side"],
                 quantity=row["quantity"], product=UNIFIED_PRODUCTS[row["product"]],
                 pricetype=UNIFIED_PRICE_TYPES[row["order_type"]], status=STATUSES[row["status"]],
                 price=float(row.get("price") or 0), trigger_price=float(row.get("trigger_price") or 0),
                 filled_quantity=row.get("filled_quantity") or 0, average_price=float(row.get("average_price") or 0),
                 rejection_reason=row.get("reason") or "", timestamp=row.get("updated_at") or "", raw=dict(row))


def to_order_event(row: Mapping[str, Any], names: SymbolNames) -> OrderEvent:
    return OrderEvent.from_order(to_order(row, names))


def to_trade(row: Mapping[str, Any], names: SymbolNames) -> Trade:
    symbol, exchange = names.of(row)
    return Trade(order_id=str(row["order_id"]), trade_id=str(row["trade_id"]), symbol=symbol, exchange=exchange,
                 action=row["side"], quantity=row["quantity"], average_price=float(row["price"]),
                 product=UNIFIED_PRODUCTS[row["product"]], timestamp=row.get("time") or "", raw=dict(row))


def to_position(row: Mapping[str, Any], names: SymbolNames) -> Position:
    symbol, exchange = names.of(row)
    return Position(symbol=symbol, exchange=exchange, product=UNIFIED_PRODUCTS[row["product"]],
                    quantity=row["net_quantity"], average_price=float(row.get("average_price") or 0),
                    ltp=float(row.get("ltp") or 0), pnl=float(row.get("pnl") or 0), raw=dict(row))
