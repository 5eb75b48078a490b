"""Orders, trades, positions and holdings on Kite Connect v3, mapped to the unified objects.

Endpoints (Kite Connect v3 docs, "Orders" and "Portfolio"): `POST /orders/:variety`,
`PUT|DELETE /orders/:variety/:order_id`, `GET /orders`, `GET /orders/:order_id` (the order's history,
oldest first: its last entry is the current state), `GET /trades`, `GET /portfolio/positions` (the `net`
list), `GET /portfolio/holdings`. Outside market hours orders go in as the `amo` variety; modify and
cancel use the variety the order was placed with, read from its history.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from broker.contract import (BrokerSession, Holding, ModifyRequest, Order, OrderAck, OrderAdapter, OrderRequest,
                             Position, SymbolLookup, Trade)
from broker.errors import OrderNotFound
from broker.sessions import after_market
from broker.zerodha.client import KiteClient
from broker.zerodha.mapping import (IST, modify_form, order_form, to_unified_exchange, to_unified_status,
                                    to_unified_time)
from utils.constants import ORDER_STATUS_OPEN, ORDER_STATUS_TRIGGER_PENDING, PRICE_TYPES
from utils.symbols import equity_symbol

def variety_for(exchange: str, now: datetime) -> str:
    """`regular` during the exchange's session, `amo` (after-market order) otherwise (broker.sessions)."""
    return "amo" if after_market(exchange, now) else "regular"


class SymbolNames:
    """Kite's (exchange, tradingsymbol) → OpenAlgo (symbol, exchange) through the master contract, with a
    best guess (series suffix dropped on cash exchanges) when the contract is not loaded."""

    def __init__(self, symbols: SymbolLookup | None):
        self.symbols = symbols

    def __call__(self, brexchange: str, brsymbol: str) -> tuple[str, str]:
        found = self.symbols.by_brsymbol(brsymbol, brexchange) if self.symbols else None
        if found is not None:
            return found.symbol, found.exchange
        guess = equity_symbol(brsymbol) if brexchange in ("NSE", "BSE") else brsymbol
        return guess, to_unified_exchange(brexchange)


def _pricetype(kite_type: str) -> str:
    return kite_type if kite_type in PRICE_TYPES else "LIMIT"


class ZerodhaOrders(OrderAdapter):
    def __init__(self, client: KiteClient, names: SymbolNames, clock: Callable[[], datetime] | None = None):
        self.client = client
        self.names = names
        self.clock = clock or (lambda: datetime.now(IST))

    # ------------------------------------------------------------------ writes
    def place_order(self, session: BrokerSession, request: OrderRequest) -> OrderAck:
        instrument = request.instrument
        variety = variety_for(instrument.exchange, self.clock())
        form = order_form(exchange=instrument.brexchange, broker_symbol=instrument.brsymbol,
                          action=request.action, quantity=int(request.quantity), product=request.product,
                          pricetype=request.pricetype, price=request.price, trigger_price=request.trigger_price,
                          disclosed_quantity=request.disclosed_quantity, tag=request.tag or None)
        data = self.client.call("POST", f"/orders/{variety}", session, bucket="orders", form=form)
        message = "placed as an after-market order (AMO)" if variety == "amo" else ""
        return OrderAck(order_id=str(data["order_id"]), message=message, raw=data)

    def modify_order(self, session: BrokerSession, request: ModifyRequest) -> OrderAck:
        variety = self._history(session, request.order_id)[-1].get("variety") or "regular"
        form = modify_form(pricetype=request.pricetype, quantity=int(request.quantity), price=request.price,
                           trigger_price=request.trigger_price, disclosed_quantity=request.disclosed_quantity)
        data = self.client.call("PUT", f"/orders/{variety}/{request.order_id}", session, bucket="orders", form=form)
        return OrderAck(order_id=str(data["order_id"]), raw=data)

    def cancel_order(self, session: BrokerSession, order_id: str) -> OrderAck:
        return self._cancel(session, self._history(session, order_id)[-1].get("variety"), order_id)

    def cancel_all_orders(self, session: BrokerSession) -> list[OrderAck]:
        """One order-book read, then a cancel per working order with the variety the book shows."""
        working = [o for o in self.order_book(session)
                   if o.status in (ORDER_STATUS_OPEN, ORDER_STATUS_TRIGGER_PENDING)]
        return [self._cancel(session, order.raw.get("variety"), order.order_id) for order in working]

    def _cancel(self, session: BrokerSession, variety: str | None, order_id: str) -> OrderAck:
        data = self.client.call("DELETE", f"/orders/{variety or 'regular'}/{order_id}", session, bucket="orders")
        return OrderAck(order_id=str(data["order_id"]), raw=data)

    # ------------------------------------------------------------------ reads
    def order_book(self, session: BrokerSession) -> list[Order]:
        return [self.order(row) for row in self.client.call("GET", "/orders", session) or []]

    def order_status(self, session: BrokerSession, order_id: str) -> Order:
        return self.order(self._history(session, order_id)[-1])

    def trade_book(self, session: BrokerSession) -> list[Trade]:
        return [self.trade(row) for row in self.client.call("GET", "/trades", session) or []]

    def positions(self, session: BrokerSession) -> list[Position]:
        data = self.client.call("GET", "/portfolio/positions", session) or {}
        return [self.position(row) for row in data.get("net", [])]

    def holdings(self, session: BrokerSession) -> list[Holding]:
        return [self.holding(row) for row in self.client.call("GET", "/portfolio/holdings", session) or []]

    def _history(self, session: BrokerSession, order_id: str) -> list[dict[str, Any]]:
        history = self.client.call("GET", f"/orders/{order_id}", session)
        if not history:
            raise OrderNotFound(f"Order {order_id} not found", broker="zerodha")
        return history

    # ------------------------------------------------------------------ payload → unified
    def order(self, row: dict[str, Any]) -> Order:
        symbol, exchange = self.names(row["exchange"], row["tradingsymbol"])
        pricetype = _pricetype(row.get("order_type") or "")
        return Order(
            order_id=str(row["order_id"]), symbol=symbol, exchange=exchange, action=row["transaction_type"],
            quantity=int(row.get("quantity") or 0), product=row.get("product") or "", pricetype=pricetype,
            status=to_unified_status(row.get("status")),
            price=0.0 if pricetype == "MARKET" else float(row.get("price") or 0),
            trigger_price=float(row.get("trigger_price") or 0),
            filled_quantity=int(row.get("filled_quantity") or 0),
            average_price=float(row.get("average_price") or 0),
            rejection_reason=(row.get("status_message") or "") if row.get("status") == "REJECTED" else "",
            timestamp=to_unified_time(row.get("order_timestamp")), raw=row)

    def trade(self, row: dict[str, Any]) -> Trade:
        symbol, exchange = self.names(row["exchange"], row["tradingsymbol"])
        return Trade(order_id=str(row["order_id"]), symbol=symbol, exchange=exchange,
                     action=row["transaction_type"], quantity=int(row.get("quantity") or 0),
                     average_price=float(row.get("average_price") or 0), product=row.get("product") or "",
                     trade_id=str(row.get("trade_id") or ""),
                     timestamp=to_unified_time(row.get("fill_timestamp") or row.get("exchange_timestamp")),
                     raw=row)

    def position(self, row: dict[str, Any]) -> Position:
        symbol, exchange = self.names(row["exchange"], row["tradingsymbol"])
        return Position(symbol=symbol, exchange=exchange, product=row.get("product") or "",
                        quantity=int(row.get("quantity") or 0), average_price=float(row.get("average_price") or 0),
                        ltp=float(row.get("last_price") or 0), pnl=float(row.get("pnl") or 0),
                        realized_pnl=float(row.get("realised") or 0),
                        unrealized_pnl=float(row.get("unrealised") or 0), raw=row)

    def holding(self, row: dict[str, Any]) -> Holding:
        symbol, exchange = self.names(row["exchange"], row["tradingsymbol"])
        # settled plus T1 (bought, not yet delivered) shares are both the user's
        quantity = int(row.get("quantity") or 0) + int(row.get("t1_quantity") or 0)
        return Holding(symbol=symbol, exchange=exchange, quantity=quantity,
                       average_price=float(row.get("average_price") or 0), ltp=float(row.get("last_price") or 0),
                       pnl=float(row.get("pnl") or 0), product=row.get("product") or "CNC", raw=row)
