"""GTT (good-till-triggered) orders on a Noren OMS, as the contract's GttAdapter.

Noren API documentation, "GTT Orders": `PlaceGTTOrder` takes the order fields (`tsym`, `exch`,
`trantype`, `prctyp`, `prd`, `ret`, `qty`, `prc`, `dscqty`, `remarks`) plus the alert: `ai_t` its type
(`LTP_A_O`: place the order when LTP goes above `d`; `LTP_B_O`: when it goes below), `validity` `GTT`
(kept until triggered or cancelled) and `d` the trigger price; it answers the alert id `al_id` ("OI
created"). `ModifyGTTOrder` takes the same fields with `al_id` ("Oi Replaced"), `CancelGTTOrder` the
`al_id` ("Oi delete success"), `GetPendingGTTOrder` lists the alerts still waiting (the same fields; some
OMS builds spell `Al_id`, `Qty`, `Prc` with a capital, so both spellings are read). A Noren GTT is one
trigger: SINGLE triggers with LIMIT or MARKET legs, products CNC (`C`) and NRML (`M`), are offered; OCO (two triggers) and an expiry date
(Noren's validity is "until triggered") are refused with a clear 400 before the OMS is asked.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote_plus

from broker.contract import BrokerSession, Gtt, GttAck, GttAdapter, GttLeg, GttRequest
from broker.errors import InvalidOrder, OrderNotFound
from broker.noren import mapping
from broker.noren.client import ORDERS, NorenClient

ABOVE, BELOW = "LTP_A_O", "LTP_B_O"


def _field(row: dict[str, Any], name: str) -> Any:
    return row.get(name, row.get(name[:1].upper() + name[1:]))


class NorenGtt(GttAdapter):
    def __init__(self, client: NorenClient, names: mapping.SymbolNames):
        self.client = client
        self.names = names

    def _refuse(self, message: str) -> InvalidOrder:
        return InvalidOrder(f"{self.client.broker}: {message}", broker=self.client.broker)

    def _fields(self, session: BrokerSession, request: GttRequest) -> dict[str, str]:
        if request.trigger_type != "SINGLE" or len(request.legs) != 1:
            raise self._refuse("trigger_type must be SINGLE: a Noren GTT has one trigger (OCO is not offered)")
        if request.expires_at is not None:
            raise self._refuse("expires_at cannot be set: a Noren GTT stays until it triggers or is cancelled")
        if request.product not in ("CNC", "NRML"):
            raise self._refuse("product must be CNC or NRML for a GTT (Noren's GTT takes C or M)")
        leg = request.legs[0]
        if leg.pricetype not in ("LIMIT", "MARKET"):
            raise self._refuse("the leg's pricetype must be LIMIT or MARKET")
        if leg.trigger_price <= 0 or leg.trigger_price == request.last_price:
            raise self._refuse("trigger_price must be above or below the last price")
        i = request.instrument
        values = mapping.order_fields(quote_plus(i.brsymbol), i.exchange, request.action, request.quantity,
                                      request.product, leg.pricetype, leg.price, 0.0)
        values.update(actid=session.broker_user_id, ret="DAY", dscqty="0", validity="GTT",
                      ai_t=ABOVE if leg.trigger_price > request.last_price else BELOW, d=str(leg.trigger_price),
                      remarks=request.strategy or "openalgo")
        return values

    @staticmethod
    def _alert_id(answer: Any, fallback: str = "") -> str:
        return str(_field(answer, "al_id") or fallback) if isinstance(answer, dict) else fallback

    def place_gtt(self, session: BrokerSession, request: GttRequest) -> GttAck:
        answer = self.client.call("PlaceGTTOrder", self._fields(session, request), session, bucket=ORDERS)
        return GttAck(trigger_id=self._alert_id(answer), raw=answer)

    def modify_gtt(self, session: BrokerSession, trigger_id: str, request: GttRequest) -> GttAck:
        self._pending(session, trigger_id)
        values = {**self._fields(session, request), "al_id": str(trigger_id)}
        answer = self.client.call("ModifyGTTOrder", values, session, bucket=ORDERS)
        return GttAck(trigger_id=self._alert_id(answer, str(trigger_id)), raw=answer)

    def cancel_gtt(self, session: BrokerSession, trigger_id: str) -> GttAck:
        self._pending(session, trigger_id)
        answer = self.client.call("CancelGTTOrder", {"al_id": str(trigger_id)}, session, bucket=ORDERS)
        return GttAck(trigger_id=self._alert_id(answer, str(trigger_id)), raw=answer)

    def gtt_book(self, session: BrokerSession) -> list[Gtt]:
        rows = self.client.call("GetPendingGTTOrder", {}, session, listing=True)
        return [self.gtt(row) for row in rows if isinstance(row, dict)]

    def _pending(self, session: BrokerSession, trigger_id: str) -> dict[str, Any]:
        rows = self.client.call("GetPendingGTTOrder", {}, session, listing=True)
        found = next((r for r in rows if isinstance(r, dict) and str(_field(r, "al_id")) == str(trigger_id)), None)
        if found is None:
            raise OrderNotFound(f"GTT {trigger_id} not found among {self.client.broker}'s pending GTTs",
                                broker=self.client.broker)
        return found

    def gtt(self, row: dict[str, Any]) -> Gtt:
        symbol, exchange = self.names(str(row.get("exch") or ""), str(row.get("tsym") or ""))
        pricetype = mapping.UNIFIED_PRICE_TYPES.get(str(row.get("prctyp")), "LIMIT")
        price = float(_field(row, "prc") or 0)
        leg = GttLeg(trigger_price=float(row.get("d") or 0), price=0.0 if pricetype == "MARKET" else price,
                     pricetype="MARKET" if pricetype == "MARKET" else "LIMIT")
        return Gtt(trigger_id=str(_field(row, "al_id") or ""), symbol=symbol, exchange=exchange,
                   trigger_type="SINGLE", status="active",
                   action=mapping.UNIFIED_SIDES.get(str(row.get("trantype")), "BUY"),
                   quantity=int(float(_field(row, "qty") or 0)),
                   product=mapping.UNIFIED_PRODUCTS.get(str(row.get("prd")), "CNC"), legs=(leg,),
                   strategy=str(_field(row, "remarks") or ""), raw=dict(row))
