"""Orders, trades, positions and holdings on the Upstox API, mapped to the unified objects.

Writes use the v3 order API on the order host (docs, "Place / Modify / Cancel Order V3"):
`POST /v3/order/place` (with `slice: true`, so a quantity above the exchange's freeze limit is split by
Upstox into several orders, all listed in `data.order_ids`), `PUT /v3/order/modify`,
`DELETE /v3/order/cancel?order_id=`. Reads use v2: `GET /v2/order/retrieve-all`,
`GET /v2/order/details?order_id=`, `GET /v2/order/trades/get-trades-for-day`,
`GET /v2/portfolio/short-term-positions`, `GET /v2/portfolio/long-term-holdings`. Outside the
exchange's session an order goes in as an after-market order (`is_amo: true`).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

from broker.contract import (BrokerSession, Holding, ModifyRequest, Order, OrderAck, OrderAdapter, OrderRequest,
                             Position, SymbolLookup, Trade)
from broker.sessions import after_market
from broker.upstox.client import UpstoxClient
from broker.upstox.mapping import (modify_body, order_body, segment_exchange, to_unified_pricetype, to_unified_product,
                                   to_unified_status, to_unified_time)
from utils.logging import get_logger
from utils.symbols import equity_symbol

log = get_logger("broker.upstox.orders")

class SymbolNames:
    """An Upstox row's instrument key → OpenAlgo (symbol, exchange) through the master contract, with a
    best guess (trading symbol, exchange from the key's segment) when the contract is not loaded."""

    def __init__(self, symbols: SymbolLookup | None):
        self.symbols = symbols

    def __call__(self, row: dict[str, Any]) -> tuple[str, str]:
        key = str(row.get("instrument_token") or row.get("instrument_key") or "")
        try:
            found = self.symbols.by_token(key) if self.symbols and key else None
        except Exception:  # noqa: BLE001  (no master contract reachable here: fall back to the guess)
            log.warning("Upstox instrument %s could not be looked up; using its trading symbol", key)
            found = None
        if found is not None:
            return found.symbol, found.exchange
        trading_symbol = str(row.get("trading_symbol") or row.get("tradingsymbol") or "")
        exchange = segment_exchange(key) or str(row.get("exchange") or "")
        guess = equity_symbol(trading_symbol) if exchange in ("NSE", "BSE") else trading_symbol
        return guess, exchange


class UpstoxOrders(OrderAdapter):
    def __init__(self, client: UpstoxClient, names: SymbolNames, clock: Callable[[], datetime] | None = None):
        self.client = client
        self.names = names
        self.clock = clock or (lambda: datetime.now(timezone.utc))

    # ------------------------------------------------------------------ writes
    def place_order(self, session: BrokerSession, request: OrderRequest) -> OrderAck:
        instrument = request.instrument
        amo = after_market(instrument.exchange, self.clock())
        body = order_body(instrument_key=instrument.token, action=request.action, quantity=int(request.quantity),
                          product=request.product, pricetype=request.pricetype, price=request.price,
                          trigger_price=request.trigger_price, disclosed_quantity=request.disclosed_quantity,
                          tag=request.tag, is_amo=amo)
        data = self.client.call("POST", "/v3/order/place", session, bucket="orders", json=body, order_host=True)
        ids = [str(i) for i in data.get("order_ids") or []]
        notes = []
        if amo:
            notes.append("placed as an after-market order (AMO)")
        if len(ids) > 1:
            notes.append(f"sliced by Upstox into {len(ids)} orders: {', '.join(ids)}")
        return OrderAck(order_id=ids[0], message="; ".join(notes), raw=data)

    def modify_order(self, session: BrokerSession, request: ModifyRequest) -> OrderAck:
        body = modify_body(order_id=request.order_id, pricetype=request.pricetype, quantity=int(request.quantity),
                           price=request.price, trigger_price=request.trigger_price,
                           disclosed_quantity=request.disclosed_quantity)
        data = self.client.call("PUT", "/v3/order/modify", session, bucket="orders", json=body, order_host=True)
        return OrderAck(order_id=str(data.get("order_id") or request.order_id), raw=data)

    def cancel_order(self, session: BrokerSession, order_id: str) -> OrderAck:
        data = self.client.call("DELETE", "/v3/order/cancel", session, bucket="orders",
                                params={"order_id": order_id}, order_host=True)
        return OrderAck(order_id=str(data.get("order_id") or order_id), raw=data)

    # ------------------------------------------------------------------ reads
    def order_book(self, session: BrokerSession) -> list[Order]:
        return [self.order(row) for row in self.client.call("GET", "/v2/order/retrieve-all", session) or []]

    def order_status(self, session: BrokerSession, order_id: str) -> Order:
        return self.order(self.client.call("GET", "/v2/order/details", session, params={"order_id": order_id}))

    def trade_book(self, session: BrokerSession) -> list[Trade]:
        rows = self.client.call("GET", "/v2/order/trades/get-trades-for-day", session) or []
        return [self.trade(row) for row in rows]

    def positions(self, session: BrokerSession) -> list[Position]:
        rows = self.client.call("GET", "/v2/portfolio/short-term-positions", session) or []
        return [self.position(row) for row in rows]

    def holdings(self, session: BrokerSession) -> list[Holding]:
        rows = self.client.call("GET", "/v2/portfolio/long-term-holdings", session) or []
        return [self.holding(row) for row in rows]

    # ------------------------------------------------------------------ payload → unified
    def order(self, row: dict[str, Any]) -> Order:
        symbol, exchange = self.names(row)
        pricetype = to_unified_pricetype(row.get("order_type"))
        status = to_unified_status(row.get("status"))
        return Order(
            order_id=str(row["order_id"]), symbol=symbol, exchange=exchange,
            action=str(row.get("transaction_type") or "").upper(), quantity=int(row.get("quantity") or 0),
            product=to_unified_product(row.get("product"), str(row.get("instrument_token") or "")),
            pricetype=pricetype, status=status,
            price=0.0 if pricetype in ("MARKET", "SL-M") else float(row.get("price") or 0),
            trigger_price=float(row.get("trigger_price") or 0), filled_quantity=int(row.get("filled_quantity") or 0),
            average_price=float(row.get("average_price") or 0),
            rejection_reason=(row.get("status_message") or "") if status == "rejected" else "",
            timestamp=to_unified_time(row.get("order_timestamp")), raw=row)

    def trade(self, row: dict[str, Any]) -> Trade:
        symbol, exchange = self.names(row)
        return Trade(order_id=str(row["order_id"]), symbol=symbol, exchange=exchange,
                     action=str(row.get("transaction_type") or "").upper(), quantity=int(row.get("quantity") or 0),
                     average_price=float(row.get("average_price") or 0),
                     product=to_unified_product(row.get("product"), str(row.get("instrument_token") or "")),
                     trade_id=str(row.get("trade_id") or ""),
                     timestamp=to_unified_time(row.get("exchange_timestamp") or row.get("order_timestamp")), raw=row)

    def position(self, row: dict[str, Any]) -> Position:
        symbol, exchange = self.names(row)
        realised, unrealised = float(row.get("realised") or 0), float(row.get("unrealised") or 0)
        return Position(symbol=symbol, exchange=exchange,
                        product=to_unified_product(row.get("product"), str(row.get("instrument_token") or "")),
                        quantity=int(row.get("quantity") or 0), average_price=float(row.get("average_price") or 0),
                        ltp=float(row.get("last_price") or 0), pnl=float(row.get("pnl") or realised + unrealised),
                        realized_pnl=realised, unrealized_pnl=unrealised, raw=row)

    def holding(self, row: dict[str, Any]) -> Holding:
        symbol, exchange = self.names(row)
        # settled plus T1 (bought, not yet delivered) shares are both the user's
        quantity = int(row.get("quantity") or 0) + int(row.get("t1_quantity") or 0)
        return Holding(symbol=symbol, exchange=exchange, quantity=quantity,
                       average_price=float(row.get("average_price") or 0), ltp=float(row.get("last_price") or 0),
                       pnl=float(row.get("pnl") or 0), product="CNC", raw=row)
