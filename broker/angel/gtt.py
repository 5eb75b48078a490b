"""GTT (good-till-triggered) rules on SmartAPI, as the contract's GttAdapter.

Endpoints (SmartAPI docs, "GTT"): `POST /gtt-service/rest/secure/angelbroking/gtt/v1/createRule`,
`.../modifyRule`, `.../cancelRule` (answers `{"id"}`), `POST /rest/secure/angelbroking/gtt/v1/ruleDetails`
(`{"id"}`) and `.../ruleList` (`{"status": [...], "page", "count"}`). A rule is one trigger with a LIMIT
child order (`price`, `qty`, `triggerprice`), for DELIVERY or MARGIN products, valid `timeperiod` days
(365 at most). So only SINGLE triggers with LIMIT legs and CNC / NRML products are offered here; anything
else is refused with a clear 400 before Angel is asked. Rule statuses: NEW / ACTIVE (waiting),
SENTTOEXCHANGE (triggered: the order went out), CANCELLED, EXPIRED.
"""
from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from broker.angel.client import SECURE, SmartApiClient
from broker.angel.mapping import to_angel_exchange
from broker.angel.orders import SymbolNames
from broker.contract import BrokerSession, Gtt, GttAck, GttAdapter, GttLeg, GttRequest
from broker.errors import InvalidOrder, OrderNotFound

GTT_WRITE = "/gtt-service/rest/secure/angelbroking/gtt/v1"
GTT_READ = f"{SECURE}/gtt/v1"
GTT_PRODUCTS = {"CNC": "DELIVERY", "NRML": "MARGIN"}
UNIFIED_GTT_PRODUCTS = {"DELIVERY": "CNC", "MARGIN": "NRML"}
MAX_DAYS = 365
LIST_STATUSES = ["NEW", "ACTIVE", "SENTTOEXCHANGE", "CANCELLED", "EXPIRED"]
PAGE_SIZE, MAX_PAGES = 100, 20
_STATUS = {"NEW": "active", "ACTIVE": "active", "SENTTOEXCHANGE": "triggered", "CANCELLED": "cancelled",
           "EXPIRED": "expired"}


def _number(value: float) -> str:
    return f"{float(value):.4f}".rstrip("0").rstrip(".") or "0"


def _time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


class AngelGtt(GttAdapter):
    def __init__(self, client: SmartApiClient, names: SymbolNames, clock: Any = None):
        self.client = client
        self.names = names
        self.clock = clock or (lambda: datetime.now().astimezone())

    def _fields(self, request: GttRequest) -> dict[str, Any]:
        if request.trigger_type != "SINGLE" or len(request.legs) != 1:
            raise InvalidOrder("Angel One GTT rules have a single trigger; OCO is not offered", broker="angel")
        leg = request.legs[0]
        if leg.pricetype != "LIMIT" or leg.price <= 0:
            raise InvalidOrder("Angel One GTT orders are LIMIT orders: give the leg a price", broker="angel")
        if request.product not in GTT_PRODUCTS:
            raise InvalidOrder("Angel One GTT takes product CNC or NRML", broker="angel")
        days = MAX_DAYS
        if request.expires_at is not None:
            days = math.ceil((request.expires_at - self.clock()).total_seconds() / 86400)
            if not 1 <= days <= MAX_DAYS:
                raise InvalidOrder(f"Angel One GTT rules last 1 to {MAX_DAYS} days", broker="angel")
        return {"price": _number(leg.price), "qty": str(int(request.quantity)),
                "triggerprice": _number(leg.trigger_price), "disclosedqty": "0", "timeperiod": str(days)}

    def place_gtt(self, session: BrokerSession, request: GttRequest) -> GttAck:
        instrument = request.instrument
        body = {"tradingsymbol": instrument.brsymbol, "symboltoken": str(instrument.token),
                "exchange": to_angel_exchange(instrument.brexchange), "transactiontype": request.action,
                "producttype": GTT_PRODUCTS.get(request.product, ""), **self._fields(request)}
        data = self.client.call("POST", f"{GTT_WRITE}/createRule", session, bucket="orders", body=body) or {}
        return GttAck(trigger_id=str(data.get("id") or ""), raw=data)

    def modify_gtt(self, session: BrokerSession, trigger_id: str, request: GttRequest) -> GttAck:
        instrument = request.instrument
        self._details(session, trigger_id)
        body = {"id": str(trigger_id), "symboltoken": str(instrument.token),
                "exchange": to_angel_exchange(instrument.brexchange), **self._fields(request)}
        data = self.client.call("POST", f"{GTT_WRITE}/modifyRule", session, bucket="orders", body=body) or {}
        return GttAck(trigger_id=str(data.get("id") or trigger_id), raw=data)

    def cancel_gtt(self, session: BrokerSession, trigger_id: str) -> GttAck:
        rule = self._details(session, trigger_id)
        body = {"id": str(trigger_id), "symboltoken": str(rule.get("symboltoken") or ""),
                "exchange": rule.get("exchange") or ""}
        data = self.client.call("POST", f"{GTT_WRITE}/cancelRule", session, bucket="orders", body=body) or {}
        return GttAck(trigger_id=str(data.get("id") or trigger_id), raw=data)

    def gtt_book(self, session: BrokerSession) -> list[Gtt]:
        rules: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            data = self.client.call("POST", f"{GTT_READ}/ruleList", session,
                                    body={"status": LIST_STATUSES, "page": page, "count": PAGE_SIZE})
            batch = data if isinstance(data, list) else []
            rules += batch
            if len(batch) < PAGE_SIZE:
                break
        return [self.gtt(rule) for rule in rules]

    def _details(self, session: BrokerSession, trigger_id: str) -> dict[str, Any]:
        data = self.client.call("POST", f"{GTT_READ}/ruleDetails", session, body={"id": str(trigger_id)})
        if not isinstance(data, dict) or not data:
            raise OrderNotFound(f"GTT {trigger_id} not found", broker="angel")
        return data

    def gtt(self, rule: dict[str, Any]) -> Gtt:
        symbol, exchange = self.names(rule.get("exchange") or "", rule.get("tradingsymbol") or "",
                                      str(rule.get("symboltoken") or ""))
        status = _STATUS.get(str(rule.get("status") or "").upper(), "rejected")
        leg = GttLeg(trigger_price=float(rule.get("triggerprice") or 0), price=float(rule.get("price") or 0))
        return Gtt(trigger_id=str(rule.get("id") or ""), symbol=symbol, exchange=exchange, trigger_type="SINGLE",
                   status=status, action=rule.get("transactiontype") or "", quantity=int(float(rule.get("qty") or 0)),
                   product=UNIFIED_GTT_PRODUCTS.get(str(rule.get("producttype") or "").upper(), "CNC"), legs=(leg,),
                   created_at=_time(rule.get("createddate")), updated_at=_time(rule.get("updateddate")),
                   expires_at=_time(rule.get("expirydate")), raw=rule)
