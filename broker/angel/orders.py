"""Orders, trades, positions and holdings on SmartAPI, mapped to the unified objects.

Endpoints (SmartAPI docs, "Orders" and "Portfolio"): `placeOrder`, `modifyOrder`, `cancelOrder` (POST,
JSON), `getOrderBook`, `getTradeBook`, `getPosition`, `getHolding` (GET; `data` is null when empty) and
`order/v1/details/{uniqueorderid}` for one order. Outside market hours, or on a weekend, orders go in as the
`AMO` variety; trigger orders as `STOPLOSS`; modify and cancel repeat the variety the order was placed
with, read from the order book. An order's unique order id is remembered when it is placed here, so its
status is one `details` call; other orders are found through the order book first.
"""
from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from typing import Any, Callable

from broker.angel.client import SECURE, SmartApiClient
from broker.angel.mapping import (IST, modify_body, order_body, to_unified_pricetype, to_unified_product,
                                  to_unified_status, to_unified_time, variety_for)
from broker.contract import (BrokerSession, Holding, ModifyRequest, Order, OrderAck, OrderAdapter, OrderRequest,
                             Position, SymbolLookup, Trade)
from broker.errors import BrokerError, OrderNotFound
from broker.sessions import after_market
from utils.constants import ORDER_STATUS_OPEN, ORDER_STATUS_REJECTED, ORDER_STATUS_TRIGGER_PENDING
from utils.symbols import equity_symbol

ORDERS = f"{SECURE}/order/v1"
_REMEMBERED_ORDERS = 10_000


class SymbolNames:
    """Angel's (exchange, token, tradingsymbol) → OpenAlgo (symbol, exchange) through the master contract;
    without it, equities lose their series suffix and everything else keeps Angel's name."""

    def __init__(self, symbols: SymbolLookup | None):
        self.symbols = symbols

    def __call__(self, exchange: str, trading_symbol: str, token: str = "") -> tuple[str, str]:
        found = None
        if self.symbols is not None:
            found = (self.symbols.by_token(str(token), exchange) if token else None) \
                or self.symbols.by_brsymbol(trading_symbol, exchange)
        if found is not None:
            return found.symbol, found.exchange
        return (equity_symbol(trading_symbol) if exchange in ("NSE", "BSE") else trading_symbol), exchange


def _rows(data: Any) -> list[dict[str, Any]]:
    return list(data) if isinstance(data, list) else []


def _float(value: Any) -> float:
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        return 0.0


def _int(value: Any) -> int:
    return int(_float(value))


class AngelOrders(OrderAdapter):
    def __init__(self, client: SmartApiClient, names: SymbolNames, clock: Callable[[], datetime] | None = None):
        self.client = client
        self.names = names
        self.clock = clock or (lambda: datetime.now(IST))
        self._unique_ids: OrderedDict[str, str] = OrderedDict()     # orderid → uniqueorderid, placed here

    # ------------------------------------------------------------------ writes
    def place_order(self, session: BrokerSession, request: OrderRequest) -> OrderAck:
        instrument = request.instrument
        amo = after_market(instrument.exchange, self.clock())   # Angel accepts AMOs until the next open
        body = order_body(variety=variety_for(request.pricetype, amo), exchange=instrument.brexchange,
                          trading_symbol=instrument.brsymbol, token=instrument.token, action=request.action,
                          quantity=int(request.quantity), product=request.product, pricetype=request.pricetype,
                          price=request.price, trigger_price=request.trigger_price,
                          disclosed_quantity=request.disclosed_quantity, tag=request.tag)
        data = self.client.call("POST", f"{ORDERS}/placeOrder", session, bucket="orders", body=body) or {}
        order_id = str(data.get("orderid") or "")
        if not order_id:
            raise BrokerError("Angel One answered the order without an order id; check the order book", broker="angel",
                              raw=data)
        self._remember(order_id, str(data.get("uniqueorderid") or ""))
        return OrderAck(order_id=order_id, message="placed as an after-market order (AMO)" if amo else "", raw=data)

    def modify_order(self, session: BrokerSession, request: ModifyRequest) -> OrderAck:
        current = self._find(session, request.order_id)
        instrument = request.instrument
        body = modify_body(variety=current.get("variety") or "NORMAL", order_id=request.order_id,
                           exchange=instrument.brexchange, trading_symbol=instrument.brsymbol,
                           token=instrument.token, quantity=int(request.quantity), product=request.product,
                           pricetype=request.pricetype, price=request.price, trigger_price=request.trigger_price)
        data = self.client.call("POST", f"{ORDERS}/modifyOrder", session, bucket="orders", body=body) or {}
        return OrderAck(order_id=str(data.get("orderid") or request.order_id), raw=data)

    def cancel_order(self, session: BrokerSession, order_id: str) -> OrderAck:
        return self._cancel(session, self._find(session, order_id).get("variety"), order_id)

    def cancel_all_orders(self, session: BrokerSession) -> list[OrderAck]:
        """One order-book read, then a cancel per working order with the variety the book shows."""
        working = [o for o in self.order_book(session) if o.status in (ORDER_STATUS_OPEN, ORDER_STATUS_TRIGGER_PENDING)]
        return [self._cancel(session, order.raw.get("variety"), order.order_id) for order in working]

    def _cancel(self, session: BrokerSession, variety: str | None, order_id: str) -> OrderAck:
        data = self.client.call("POST", f"{ORDERS}/cancelOrder", session, bucket="orders",
                                body={"variety": variety or "NORMAL", "orderid": order_id}) or {}
        return OrderAck(order_id=str(data.get("orderid") or order_id), raw=data)

    # ------------------------------------------------------------------ reads
    def order_book(self, session: BrokerSession) -> list[Order]:
        return [self.order(row) for row in self._book(session)]

    def order_status(self, session: BrokerSession, order_id: str) -> Order:
        return self.order(self._find(session, order_id))

    def trade_book(self, session: BrokerSession) -> list[Trade]:
        return [self.trade(row) for row in _rows(self.client.call("GET", f"{ORDERS}/getTradeBook", session))]

    def positions(self, session: BrokerSession) -> list[Position]:
        return [self.position(row) for row in _rows(self.client.call("GET", f"{ORDERS}/getPosition", session))]

    def holdings(self, session: BrokerSession) -> list[Holding]:
        data = self.client.call("GET", f"{SECURE}/portfolio/v1/getHolding", session)
        return [self.holding(row) for row in _rows(data)]

    def _book(self, session: BrokerSession) -> list[dict[str, Any]]:
        rows = _rows(self.client.call("GET", f"{ORDERS}/getOrderBook", session))
        for row in rows:
            if row.get("uniqueorderid"):
                self._remember(str(row["orderid"]), str(row["uniqueorderid"]))
        return rows

    def _find(self, session: BrokerSession, order_id: str) -> dict[str, Any]:
        """One order's row: by its unique order id when known (details, 10 calls/s at Angel), else from the
        order book (1 call/s)."""
        unique_id = self._unique_ids.get(order_id)
        if unique_id:
            row = self.client.call("GET", f"{ORDERS}/details/{unique_id}", session)
            if isinstance(row, dict) and str(row.get("orderid")) == order_id:
                return row
        for row in self._book(session):
            if str(row.get("orderid")) == order_id:
                return row
        raise OrderNotFound(f"Order {order_id} not found", broker="angel")

    def _remember(self, order_id: str, unique_id: str) -> None:
        if unique_id:
            self._unique_ids[order_id] = unique_id
            while len(self._unique_ids) > _REMEMBERED_ORDERS:
                self._unique_ids.popitem(last=False)

    # ------------------------------------------------------------------ payload → unified
    def order(self, row: dict[str, Any]) -> Order:
        symbol, exchange = self.names(row.get("exchange") or "", row.get("tradingsymbol") or "",
                                      str(row.get("symboltoken") or ""))
        pricetype = to_unified_pricetype(row.get("ordertype"))
        status = to_unified_status(row.get("orderstatus") or row.get("status"))
        return Order(
            order_id=str(row.get("orderid") or ""), symbol=symbol, exchange=exchange,
            action=row.get("transactiontype") or "", quantity=_int(row.get("quantity")),
            product=to_unified_product(row.get("producttype")), pricetype=pricetype, status=status,
            price=0.0 if pricetype in ("MARKET", "SL-M") else _float(row.get("price")),
            trigger_price=_float(row.get("triggerprice")), filled_quantity=_int(row.get("filledshares")),
            average_price=_float(row.get("averageprice")),
            rejection_reason=(row.get("text") or "") if status == ORDER_STATUS_REJECTED else "",
            timestamp=to_unified_time(row.get("updatetime")), raw=row)

    def trade(self, row: dict[str, Any]) -> Trade:
        symbol, exchange = self.names(row.get("exchange") or "", row.get("tradingsymbol") or "",
                                      str(row.get("symboltoken") or ""))
        return Trade(order_id=str(row.get("orderid") or ""), symbol=symbol, exchange=exchange,
                     action=row.get("transactiontype") or "", quantity=_int(row.get("fillsize")),
                     average_price=_float(row.get("fillprice")), product=to_unified_product(row.get("producttype")),
                     trade_id=str(row.get("fillid") or ""), timestamp=str(row.get("filltime") or ""), raw=row)

    def position(self, row: dict[str, Any]) -> Position:
        symbol, exchange = self.names(row.get("exchange") or "", row.get("tradingsymbol") or "",
                                      str(row.get("symboltoken") or ""))
        realized, unrealized = _float(row.get("realised")), _float(row.get("unrealised"))
        return Position(symbol=symbol, exchange=exchange, product=to_unified_product(row.get("producttype")),
                        quantity=_int(row.get("netqty")),
                        average_price=_float(row.get("avgnetprice") or row.get("netprice")),
                        ltp=_float(row.get("ltp")), pnl=_float(row.get("pnl")) or realized + unrealized,
                        realized_pnl=realized, unrealized_pnl=unrealized, raw=row)

    def holding(self, row: dict[str, Any]) -> Holding:
        symbol, exchange = self.names(row.get("exchange") or "", row.get("tradingsymbol") or "",
                                      str(row.get("symboltoken") or ""))
        # settled plus T1 (bought, not yet delivered) shares are both the user's
        quantity = _int(row.get("quantity")) + _int(row.get("t1quantity"))
        return Holding(symbol=symbol, exchange=exchange, quantity=quantity,
                       average_price=_float(row.get("averageprice")), ltp=_float(row.get("ltp")),
                       pnl=_float(row.get("profitandloss")), product="CNC", raw=row)
