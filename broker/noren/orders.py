"""Orders, trades, positions and holdings on a Noren OMS (OrderAdapter).

PlaceOrder takes `uid`, `actid`, `exch`, `tsym` (URL-encoded), `qty`, `prc`, `trgprc`, `dscqty`, `prd`,
`trantype`, `prctyp`, `ret`, `remarks`, `ordersource` and answers `norenordno`; ModifyOrder takes the
order number with `exch` / `tsym` and the new `qty` / `prctyp` / `prc` / `trgprc` and answers `result`;
CancelOrder takes `norenordno`. SingleOrdHist answers the order's states, newest first (docs, "Orders
and Trades"). Our order tag travels as `remarks`, which Noren keeps on the order.

Outside the exchange's session (broker/sessions.py: hours, weekends, holidays) an order goes in as an
after-market order: PlaceOrder's `amo` = "Yes" (the documentation: anything else is a regular order), and
the acknowledgement says so. Bracket (`B`) and cover (`H`) orders, with their `bpprc` / `blprc` /
`trailprc`, are not entered here: the unified product is CNC, NRML or MIS, and anything else is refused
with a 400 naming `product` before the plugin is asked.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable
from urllib.parse import quote_plus

from broker.contract import (BrokerSession, Holding, ModifyRequest, Order, OrderAck, OrderAdapter, OrderRequest,
                             Position, Trade)
from broker.errors import OrderNotFound
from broker.noren import mapping
from broker.noren.client import ORDERS, READS, NorenClient
from broker.sessions import after_market
from utils import clock as app_clock


class NorenOrders(OrderAdapter):
    def __init__(self, client: NorenClient, names: mapping.SymbolNames,
                 clock: Callable[[], datetime] | None = None):
        self.client = client
        self.names = names
        self.clock = clock or app_clock.now

    def place_order(self, session: BrokerSession, request: OrderRequest) -> OrderAck:
        i = request.instrument
        values = mapping.order_fields(quote_plus(i.brsymbol), i.exchange, request.action, request.quantity,
                                      request.product, request.pricetype, request.price, request.trigger_price)
        values.update(ordersource="API", actid=session.broker_user_id, ret="DAY",
                      dscqty=str(int(request.disclosed_quantity or 0)))
        if request.tag:
            values["remarks"] = request.tag
        amo = after_market(i.exchange, self.clock())
        if amo:
            values["amo"] = "Yes"
        answer = self.client.call("PlaceOrder", values, session, bucket=ORDERS)
        return OrderAck(order_id=str(answer["norenordno"]), raw=answer,
                        message="placed as an after-market order (AMO)" if amo else "")

    def modify_order(self, session: BrokerSession, request: ModifyRequest) -> OrderAck:
        i = request.instrument
        values = mapping.order_fields(quote_plus(i.brsymbol), i.exchange, request.action, request.quantity,
                                      request.product, request.pricetype, request.price, request.trigger_price)
        for field in ("prd", "trantype"):
            values.pop(field)
        values.update(ordersource="API", actid=session.broker_user_id, norenordno=str(request.order_id), ret="DAY")
        answer = self.client.call("ModifyOrder", values, session, bucket=ORDERS)
        return OrderAck(order_id=str(answer.get("result") or request.order_id), raw=answer)

    def cancel_order(self, session: BrokerSession, order_id: str) -> OrderAck:
        answer = self.client.call("CancelOrder", {"ordersource": "API", "norenordno": str(order_id)}, session,
                                  bucket=ORDERS)
        return OrderAck(order_id=str(answer.get("result") or order_id), raw=answer)

    def order_book(self, session: BrokerSession) -> list[Order]:
        rows = self.client.call("OrderBook", {"ordersource": "API"}, session, listing=True)
        return [mapping.to_order(row, self.names) for row in rows]

    def order_status(self, session: BrokerSession, order_id: str) -> Order:
        rows = self.client.call("SingleOrdHist", {"norenordno": str(order_id)}, session, listing=True)
        if not rows:
            raise OrderNotFound(f"order {order_id} not found", broker=self.client.broker)
        return mapping.to_order(rows[0], self.names)

    def trade_book(self, session: BrokerSession) -> list[Trade]:
        rows = self.client.call("TradeBook", {"actid": session.broker_user_id}, session, listing=True)
        return [mapping.to_trade(row, self.names) for row in rows]

    def positions(self, session: BrokerSession) -> list[Position]:
        rows = self.client.call("PositionBook", {"actid": session.broker_user_id}, session, listing=True)
        return [mapping.to_position(row, self.names) for row in rows]

    def holdings(self, session: BrokerSession) -> list[Holding]:
        rows = self.client.call("Holdings", {"actid": session.broker_user_id, "prd": "C"}, session,
                                bucket=READS, listing=True)
        return [h for h in (mapping.to_holding(row, self.names) for row in rows) if h is not None]
