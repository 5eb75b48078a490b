"""Dhan's forever orders as the contract's GTT (DhanHQ v2 docs, "Forever Order").

`POST /forever/orders` with `orderFlag` SINGLE (one trigger) or OCO (two): the first leg's `price` /
`triggerPrice` / `quantity` is the TARGET_LEG, the OCO's second leg rides in `price1` / `triggerPrice1` /
`quantity1` as the STOP_LOSS_LEG. `PUT /forever/orders/{id}` changes one leg at a time, named by
`legName`; `DELETE` cancels the whole order; `GET /forever/orders` lists one row per leg. Statuses:
PENDING (waiting for its trigger) is active; TRADED / TRIGGERED, CANCELLED, REJECTED and EXPIRED are
the rest of the lifecycle.
"""
from __future__ import annotations

from typing import Any

from broker.contract import BrokerSession, Gtt, GttAck, GttAdapter, GttLeg, GttRequest
from broker.dhan.client import DhanClient
from broker.dhan.mapping import parse_dhan_time, to_dhan_order_type, to_dhan_product, to_unified_product
from broker.dhan.orders import SymbolNames
from broker.errors import InvalidOrder

_STATUS = {"PENDING": "active", "TRANSIT": "active", "CONFIRM": "active", "TRADED": "triggered",
           "TRIGGERED": "triggered", "CANCELLED": "cancelled", "REJECTED": "rejected", "EXPIRED": "expired"}
_ROLES = {"TARGET_LEG": "target", "STOP_LOSS_LEG": "stoploss"}


def _leg(request: GttRequest, role: str) -> GttLeg:
    for leg in request.legs:
        if leg.role == role:
            return leg
    raise InvalidOrder(f"a {request.trigger_type} GTT needs a {role} leg", broker="dhan")


class DhanGtt(GttAdapter):
    def __init__(self, client: DhanClient, names: SymbolNames):
        self.client = client
        self.names = names

    def place_gtt(self, session: BrokerSession, request: GttRequest) -> GttAck:
        self.refuse_expiry(request, "dhan", "Dhan")
        instrument = request.instrument
        first = _leg(request, "single") if request.trigger_type == "SINGLE" else _leg(request, "target")
        body: dict[str, Any] = {
            "dhanClientId": session.broker_user_id, "orderFlag": request.trigger_type,
            "transactionType": request.action, "exchangeSegment": instrument.brexchange,
            "productType": to_dhan_product(request.product), "orderType": to_dhan_order_type(first.pricetype),
            "validity": "DAY", "securityId": str(instrument.token), "quantity": int(request.quantity),
            "disclosedQuantity": 0, "price": float(first.price), "triggerPrice": float(first.trigger_price)}
        if request.trigger_type == "OCO":
            second = _leg(request, "stoploss")
            body.update(price1=float(second.price), triggerPrice1=float(second.trigger_price),
                        quantity1=int(request.quantity))
        if request.strategy:
            body["correlationId"] = request.strategy[:25]
        data = self.client.call("POST", "/forever/orders", session, bucket="orders", json=body)
        return GttAck(trigger_id=str(data["orderId"]), raw=data)

    def modify_gtt(self, session: BrokerSession, trigger_id: str, request: GttRequest) -> GttAck:
        self.refuse_expiry(request, "dhan", "Dhan")
        changes = ([("TARGET_LEG", _leg(request, "single"))] if request.trigger_type == "SINGLE" else
                   [("TARGET_LEG", _leg(request, "target")), ("STOP_LOSS_LEG", _leg(request, "stoploss"))])
        data: Any = None
        for leg_name, leg in changes:
            data = self.client.call("PUT", f"/forever/orders/{trigger_id}", session, bucket="orders", json={
                "dhanClientId": session.broker_user_id, "orderId": str(trigger_id),
                "orderFlag": request.trigger_type, "orderType": to_dhan_order_type(leg.pricetype),
                "legName": leg_name, "quantity": int(request.quantity), "price": float(leg.price),
                "disclosedQuantity": 0, "triggerPrice": float(leg.trigger_price), "validity": "DAY"})
        return GttAck(trigger_id=str(trigger_id), raw=data)

    def cancel_gtt(self, session: BrokerSession, trigger_id: str) -> GttAck:
        data = self.client.call("DELETE", f"/forever/orders/{trigger_id}", session, bucket="orders")
        return GttAck(trigger_id=str(trigger_id), raw=data)

    def gtt_book(self, session: BrokerSession) -> list[Gtt]:
        rows_by_id: dict[str, list[dict[str, Any]]] = {}
        for row in self.client.call("GET", "/forever/orders", session) or []:
            rows_by_id.setdefault(str(row["orderId"]), []).append(row)
        return [self.gtt(rows) for rows in rows_by_id.values()]

    def gtt(self, rows: list[dict[str, Any]]) -> Gtt:
        first = rows[0]
        trigger_type = "OCO" if first.get("orderType") == "OCO" else "SINGLE"
        legs = [GttLeg(trigger_price=float(r.get("triggerPrice") or 0), price=float(r.get("price") or 0),
                       pricetype="LIMIT", role="single" if trigger_type == "SINGLE" else _ROLES.get(r.get("legName"), "target"))
                for r in rows]
        legs.sort(key=lambda leg: leg.role != "stoploss")     # stop-loss first, as the contract lists OCO legs
        symbol, exchange = self.names(first.get("exchangeSegment") or "", first.get("tradingSymbol") or "")
        return Gtt(trigger_id=str(first["orderId"]), symbol=symbol, exchange=exchange, trigger_type=trigger_type,
                   status=_STATUS.get((first.get("orderStatus") or "").upper(), "active"),
                   action=first["transactionType"], quantity=int(first.get("quantity") or 0),
                   product=to_unified_product(first.get("productType")), legs=tuple(legs),
                   created_at=parse_dhan_time(first.get("createTime")), updated_at=parse_dhan_time(first.get("updateTime")),
                   raw=rows)
