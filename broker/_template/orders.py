"""Orders, trades, positions and holdings (OrderAdapter).

Send only what the broker documents, translated by mapping.py; read rows back through mapping.py so the
unified objects keep `raw`. An order the broker does not know raises OrderNotFound (the error table does
it from the broker's code), so order_status and cancel answer 404, never 500.
"""
from __future__ import annotations

from broker._template import mapping
from broker._template.client import ORDERS, READS, TemplateClient
from broker.contract import (BrokerSession, Holding, ModifyRequest, Order, OrderAck, OrderAdapter, OrderRequest,
                             Position, Trade)


class TemplateOrders(OrderAdapter):
    def __init__(self, client: TemplateClient, names: mapping.SymbolNames):
        self.client = client
        self.names = names

    def place_order(self, session: BrokerSession, request: OrderRequest) -> OrderAck:
        i = request.instrument
        body = mapping.order_body(i.token, i.exchange, request.action, request.quantity, request.product,
                                  request.pricetype, request.price, request.trigger_price)
        data = self.client.call("POST", "/orders", session, bucket=ORDERS, json=body)
        return OrderAck(order_id=str(data["order_id"]), raw=data)

    def modify_order(self, session: BrokerSession, request: ModifyRequest) -> OrderAck:
        i = request.instrument
        body = mapping.order_body(i.token, i.exchange, request.action, request.quantity, request.product,
                                  request.pricetype, request.price, request.trigger_price)
        data = self.client.call("PUT", f"/orders/{request.order_id}", session, bucket=ORDERS, json=body)
        return OrderAck(order_id=str(data["order_id"]), raw=data)

    def cancel_order(self, session: BrokerSession, order_id: str) -> OrderAck:
        data = self.client.call("DELETE", f"/orders/{order_id}", session, bucket=ORDERS)
        return OrderAck(order_id=str(data["order_id"]), raw=data)

    def order_book(self, session: BrokerSession) -> list[Order]:
        return [mapping.to_order(row, self.names) for row in self.client.call("GET", "/orders", session, bucket=READS)]

    def order_status(self, session: BrokerSession, order_id: str) -> Order:
        return mapping.to_order(self.client.call("GET", f"/orders/{order_id}", session, bucket=READS), self.names)

    def trade_book(self, session: BrokerSession) -> list[Trade]:
        return [mapping.to_trade(row, self.names) for row in self.client.call("GET", "/trades", session, bucket=READS)]

    def positions(self, session: BrokerSession) -> list[Position]:
        rows = self.client.call("GET", "/positions", session, bucket=READS)
        return [mapping.to_position(row, self.names) for row in rows]

    def holdings(self, session: BrokerSession) -> list[Holding]:
        holdings = []
        for row in self.client.call("GET", "/holdings", session, bucket=READS):
            symbol, exchange = self.names.of(row)
            holdings.append(Holding(symbol=symbol, exchange=exchange, quantity=row["quantity"],
                                    average_price=float(row["average_price"]), ltp=float(row.get("ltp") or 0),
                                    pnl=float(row.get("pnl") or 0), raw=dict(row)))
        return holdings
