"""Orders, trades, positions and holdings on DhanHQ v2, mapped to the unified objects.

Endpoints (DhanHQ v2 docs, "Orders" and "Portfolio"): `POST /orders` (and `/orders/slicing`, which
Dhan splits into exchange-freeze-sized orders), `PUT|DELETE /orders/{order-id}`, `GET /orders`,
`GET /orders/{order-id}`, `GET /trades`, `GET /positions`, `GET /holdings`. Orders name the
instrument by exchange segment and security id (the master contract's `brexchange` / `token`);
outside the exchange's session they go in as after-market orders (`afterMarketOrder`, pumped at the
next open). Our order tag travels as Dhan's `correlationId`.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from broker.contract import (BrokerSession, Holding, ModifyRequest, Order, OrderAck, OrderAdapter, OrderRequest,
                             Position, SymbolLookup, Trade)
from broker.dhan.client import DhanClient
from broker.dhan.mapping import (IST, modify_body, order_body, to_unified_exchange, to_unified_pricetype,
                                 to_unified_product, to_unified_status, to_unified_time)
from broker.errors import OrderNotFound
from broker.sessions import after_market

_FNO_SEGMENTS = ("NSE_FNO", "BSE_FNO")


class SymbolNames:
    """Dhan's (exchange segment, trading symbol) → OpenAlgo (symbol, exchange) through the master
    contract, or Dhan's own trading symbol when the contract is not loaded."""

    def __init__(self, symbols: SymbolLookup | None):
        self.symbols = symbols

    def __call__(self, segment: str, trading_symbol: str) -> tuple[str, str]:
        found = self.symbols.by_brsymbol(trading_symbol, segment) if self.symbols else None
        if found is not None:
            return found.symbol, found.exchange
        return trading_symbol, to_unified_exchange(segment)


def _number(row: dict[str, Any], name: str) -> float:
    return float(row.get(name) or 0)


class DhanOrders(OrderAdapter):
    def __init__(self, client: DhanClient, names: SymbolNames, clock: Callable[[], datetime] | None = None):
        self.client = client
        self.names = names
        self.clock = clock or (lambda: datetime.now(IST))

    # ------------------------------------------------------------------ writes
    def place_order(self, session: BrokerSession, request: OrderRequest) -> OrderAck:
        instrument = request.instrument
        amo = after_market(instrument.exchange, self.clock())
        body = order_body(client_id=session.broker_user_id, segment=instrument.brexchange,
                          security_id=instrument.token, action=request.action, quantity=int(request.quantity),
                          product=request.product, pricetype=request.pricetype, price=request.price,
                          trigger_price=request.trigger_price, disclosed_quantity=request.disclosed_quantity,
                          amo=amo, correlation_id=request.tag)
        note = "placed as an after-market order (AMO)" if amo else ""
        freeze = instrument.freeze_qty or 0
        if freeze and int(request.quantity) > freeze and instrument.brexchange in _FNO_SEGMENTS:
            slices = self.client.call("POST", "/orders/slicing", session, bucket="orders", json=body) or []
            ids = [str(s["orderId"]) for s in slices]
            note = "; ".join(filter(None, [note, f"sliced by Dhan into {len(ids)} orders: {', '.join(ids)}"]))
            return OrderAck(order_id=ids[0], message=note, raw=slices)
        data = self.client.call("POST", "/orders", session, bucket="orders", json=body)
        return OrderAck(order_id=str(data["orderId"]), message=note, raw=data)

    def modify_order(self, session: BrokerSession, request: ModifyRequest) -> OrderAck:
        body = modify_body(client_id=session.broker_user_id, order_id=request.order_id, pricetype=request.pricetype,
                           quantity=int(request.quantity), price=request.price, trigger_price=request.trigger_price,
                           disclosed_quantity=request.disclosed_quantity)
        data = self.client.call("PUT", f"/orders/{request.order_id}", session, bucket="orders", json=body)
        return OrderAck(order_id=str(data.get("orderId") or request.order_id), raw=data)

    def cancel_order(self, session: BrokerSession, order_id: str) -> OrderAck:
        data = self.client.call("DELETE", f"/orders/{order_id}", session, bucket="orders")
        return OrderAck(order_id=str((data or {}).get("orderId") or order_id), raw=data)

    # ------------------------------------------------------------------ reads
    def order_book(self, session: BrokerSession) -> list[Order]:
        return [self.order(row) for row in self.client.call("GET", "/orders", session) or []]

    def order_status(self, session: BrokerSession, order_id: str) -> Order:
        data = self.client.call("GET", f"/orders/{order_id}", session)
        row = data[0] if isinstance(data, list) and data else data    # one object; some answers wrap it in a list
        if not isinstance(row, dict) or not row.get("orderId"):
            raise OrderNotFound(f"Order {order_id} not found", broker="dhan")
        return self.order(row)

    def trade_book(self, session: BrokerSession) -> list[Trade]:
        return [self.trade(row) for row in self.client.call("GET", "/trades", session) or []]

    def positions(self, session: BrokerSession) -> list[Position]:
        return [self.position(row) for row in self.client.call("GET", "/positions", session) or []]

    def holdings(self, session: BrokerSession) -> list[Holding]:
        return [self.holding(row) for row in self.client.call("GET", "/holdings", session) or []]

    # ------------------------------------------------------------------ payload → unified
    def order(self, row: dict[str, Any]) -> Order:
        symbol, exchange = self.names(row.get("exchangeSegment") or "", row.get("tradingSymbol") or "")
        pricetype = to_unified_pricetype(row.get("orderType"))
        status = row.get("orderStatus")
        return Order(
            order_id=str(row["orderId"]), symbol=symbol, exchange=exchange, action=row["transactionType"],
            quantity=int(row.get("quantity") or 0), product=to_unified_product(row.get("productType")),
            pricetype=pricetype, status=to_unified_status(status, row.get("orderType")),
            price=0.0 if pricetype in ("MARKET", "SL-M") else _number(row, "price"),
            trigger_price=_number(row, "triggerPrice"), filled_quantity=int(row.get("filledQty") or 0),
            average_price=_number(row, "averageTradedPrice"),
            rejection_reason=(row.get("omsErrorDescription") or "") if status == "REJECTED" else "",
            timestamp=to_unified_time(row.get("updateTime") or row.get("createTime")), raw=row)

    def trade(self, row: dict[str, Any]) -> Trade:
        symbol, exchange = self.names(row.get("exchangeSegment") or "", row.get("tradingSymbol") or "")
        return Trade(order_id=str(row["orderId"]), symbol=symbol, exchange=exchange, action=row["transactionType"],
                     quantity=int(row.get("tradedQuantity") or 0), average_price=_number(row, "tradedPrice"),
                     product=to_unified_product(row.get("productType")),
                     trade_id=str(row.get("exchangeTradeId") or ""),
                     timestamp=to_unified_time(row.get("exchangeTime") or row.get("updateTime")), raw=row)

    def position(self, row: dict[str, Any]) -> Position:
        symbol, exchange = self.names(row.get("exchangeSegment") or "", row.get("tradingSymbol") or "")
        quantity = int(row.get("netQty") or 0)
        realized, unrealized = _number(row, "realizedProfit"), _number(row, "unrealizedProfit")
        average = _number(row, "buyAvg") if quantity > 0 else _number(row, "sellAvg") if quantity < 0 else 0.0
        ltp = average + unrealized / quantity if quantity else 0.0     # Dhan's positions carry no LTP
        return Position(symbol=symbol, exchange=exchange, product=to_unified_product(row.get("productType")),
                        quantity=quantity, average_price=round(average, 2), ltp=round(ltp, 2),
                        pnl=round(realized + unrealized, 2), realized_pnl=realized, unrealized_pnl=unrealized, raw=row)

    def holding(self, row: dict[str, Any]) -> Holding:
        # `exchange` is NSE, BSE or ALL (held on both): the NSE name is the one OpenAlgo shows
        segment = "BSE_EQ" if row.get("exchange") == "BSE" else "NSE_EQ"
        symbol, exchange = self.names(segment, row.get("tradingSymbol") or "")
        quantity = int(row.get("totalQty") or 0)
        average, ltp = _number(row, "avgCostPrice"), _number(row, "lastTradedPrice")
        return Holding(symbol=symbol, exchange=exchange, quantity=quantity, average_price=average, ltp=ltp,
                       pnl=round((ltp - average) * quantity, 2), product="CNC", raw=row)
