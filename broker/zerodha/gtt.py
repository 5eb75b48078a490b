"""Zerodha GTT through Kite Connect v3's GTT API ("GTT - Good Till Triggered orders").

`POST /gtt/triggers` and `PUT /gtt/triggers/:id` take a form with `type` ("single" / "two-leg"),
`condition` (JSON: exchange, tradingsymbol, trigger_values ascending, last_price) and `orders` (JSON: one
order per trigger value, in the same order: for two-leg the stop-loss first); `GET /gtt/triggers` lists
them; `DELETE /gtt/triggers/:id` cancels. Kite's statuses map to the contract's: active, triggered,
cancelled (also "deleted" / "disabled"), expired, rejected. A triggered leg's order id is in its
`result.order_result`.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from broker.contract import BrokerSession, Gtt, GttAck, GttAdapter, GttLeg, GttRequest
from broker.zerodha.client import KiteClient
from broker.zerodha.mapping import IST
from broker.zerodha.orders import SymbolNames

KITE_TYPES = {"SINGLE": "single", "OCO": "two-leg"}
_UNIFIED_TYPES = {kite: unified for unified, kite in KITE_TYPES.items()}
_STATUS = {"active": "active", "triggered": "triggered", "cancelled": "cancelled", "deleted": "cancelled",
           "disabled": "cancelled", "expired": "expired", "rejected": "rejected"}


def _form(request: GttRequest) -> dict[str, str]:
    inst = request.instrument
    legs = sorted(request.legs, key=lambda leg: leg.trigger_price)   # Kite: trigger values ascending
    condition = {"exchange": inst.brexchange, "tradingsymbol": inst.brsymbol,
                 "trigger_values": [leg.trigger_price for leg in legs], "last_price": request.last_price}
    orders = [{"exchange": inst.brexchange, "tradingsymbol": inst.brsymbol, "transaction_type": request.action,
               "quantity": int(request.quantity), "order_type": leg.pricetype, "product": request.product,
               "price": leg.price} for leg in legs]
    return {"type": KITE_TYPES[request.trigger_type], "condition": json.dumps(condition), "orders": json.dumps(orders)}


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=IST)


class ZerodhaGtt(GttAdapter):
    def __init__(self, client: KiteClient, names: SymbolNames):
        self.client = client
        self.names = names

    def place_gtt(self, session: BrokerSession, request: GttRequest) -> GttAck:
        self.refuse_expiry(request, "zerodha", "Zerodha")
        data = self.client.call("POST", "/gtt/triggers", session, bucket="orders", form=_form(request))
        return GttAck(trigger_id=str(data["trigger_id"]), raw=data)

    def modify_gtt(self, session: BrokerSession, trigger_id: str, request: GttRequest) -> GttAck:
        self.refuse_expiry(request, "zerodha", "Zerodha")
        data = self.client.call("PUT", f"/gtt/triggers/{trigger_id}", session, bucket="orders", form=_form(request))
        return GttAck(trigger_id=str(data["trigger_id"]), raw=data)

    def cancel_gtt(self, session: BrokerSession, trigger_id: str) -> GttAck:
        data = self.client.call("DELETE", f"/gtt/triggers/{trigger_id}", session, bucket="orders")
        return GttAck(trigger_id=str(data["trigger_id"]), raw=data)

    def gtt_book(self, session: BrokerSession) -> list[Gtt]:
        return [self.gtt(row) for row in self.client.call("GET", "/gtt/triggers", session) or []]

    def gtt(self, row: dict[str, Any]) -> Gtt:
        condition, orders = row.get("condition") or {}, row.get("orders") or []
        symbol, exchange = self.names(condition.get("exchange", ""), condition.get("tradingsymbol", ""))
        kind = _UNIFIED_TYPES.get(row.get("type"), "SINGLE")
        roles = ("stoploss", "target") if kind == "OCO" else ("single",)
        legs = []
        for role, trigger, order in zip(roles, condition.get("trigger_values") or [], orders):
            result = (order.get("result") or {}).get("order_result") or {}
            legs.append(GttLeg(trigger_price=float(trigger), price=float(order.get("price") or 0),
                               pricetype=order.get("order_type") or "LIMIT", role=role,
                               order_id=str(result.get("order_id") or "")))
        first = orders[0] if orders else {}
        rejection = next(((o.get("result") or {}).get("order_result", {}).get("rejection_reason") or ""
                          for o in orders if o.get("result")), "")
        return Gtt(trigger_id=str(row["id"]), symbol=symbol, exchange=exchange, trigger_type=kind,
                   status=_STATUS.get(row.get("status") or "", "active"), action=first.get("transaction_type", ""),
                   quantity=int(first.get("quantity") or 0), product=first.get("product") or "",
                   legs=tuple(legs), last_price=float(condition.get("last_price") or 0),
                   created_at=_time(row.get("created_at")), updated_at=_time(row.get("updated_at")),
                   expires_at=_time(row.get("expires_at")), rejection_reason=rejection, raw=row)
