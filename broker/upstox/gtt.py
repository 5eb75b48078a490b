"""GTT (good-till-triggered) orders on the Upstox v3 order API, as the contract's GttAdapter.

Endpoints (docs, "Place / Modify / Cancel GTT Order", "Get GTT Order Details"): `POST /v3/order/gtt/place`
(answers `data.gtt_order_ids`), `PUT /v3/order/gtt/modify`, `DELETE /v3/order/gtt/cancel` (JSON body
`{"gtt_order_id"}`), `GET /v3/order/gtt` (every GTT; `?gtt_order_id=` for one). A single-leg GTT is one
`ENTRY` rule that fires when LTP goes `ABOVE` or `BELOW` its trigger price; Upstox then places a LIMIT
order at that trigger price, and the GTT lives up to a year (intraday `I` ones for the day). Multi-leg
GTTs always start with an ENTRY order, so they cannot express an OCO exit of an existing position:
only SINGLE triggers are offered, and a leg whose limit price differs from its trigger is refused with
a 400 saying why, before Upstox is asked. Times come in epoch microseconds.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from broker.contract import BrokerSession, Gtt, GttAck, GttAdapter, GttLeg, GttRequest
from broker.errors import InvalidOrder
from broker.upstox.client import UpstoxClient
from broker.upstox.mapping import BROKER, to_unified_product, to_upstox_product
from broker.upstox.orders import SymbolNames

# rule status (docs, "Get GTT Order Details": rules[].status) → the unified GTT status
_STATUS = {"SCHEDULED": "active", "OPEN": "active", "PENDING": "active", "INACTIVE": "active",
           "TRIGGERED": "triggered", "COMPLETED": "triggered", "CANCELLED": "cancelled", "EXPIRED": "expired",
           "FAILED": "rejected"}


def _micros(value: Any) -> datetime | None:
    try:
        micros = int(value or 0)
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(micros / 1_000_000, timezone.utc) if micros > 0 else None


def entry_rule(request: GttRequest) -> dict[str, Any]:
    """The one ENTRY rule of a SINGLE GTT: ABOVE when the trigger is over the current price."""
    if request.trigger_type != "SINGLE" or len(request.legs) != 1:
        raise InvalidOrder("Upstox GTTs here have a single trigger; OCO is not offered (Upstox's multi-leg GTT "
                           "always opens with an entry order)", broker=BROKER)
    leg = request.legs[0]
    if leg.pricetype == "LIMIT" and leg.price and abs(leg.price - leg.trigger_price) > 1e-9:
        raise InvalidOrder("Upstox places a GTT's order as a LIMIT order at the trigger price: give the leg a price "
                           "equal to its trigger price (or 0)", broker=BROKER)
    if leg.pricetype not in ("LIMIT", "MARKET"):
        raise InvalidOrder("Upstox GTT legs are LIMIT orders at the trigger price", broker=BROKER)
    direction = "ABOVE" if leg.trigger_price > request.last_price else "BELOW"
    return {"strategy": "ENTRY", "trigger_type": direction, "trigger_price": float(leg.trigger_price)}


class UpstoxGtt(GttAdapter):
    def __init__(self, client: UpstoxClient, names: SymbolNames):
        self.client = client
        self.names = names

    def place_gtt(self, session: BrokerSession, request: GttRequest) -> GttAck:
        self.refuse_expiry(request, "upstox", "Upstox")
        body = {"type": "SINGLE", "quantity": int(request.quantity), "product": to_upstox_product(request.product),
                "rules": [entry_rule(request)], "instrument_token": request.instrument.token,
                "transaction_type": request.action}
        data = self.client.call("POST", "/v3/order/gtt/place", session, bucket="orders", json=body) or {}
        ids = data.get("gtt_order_ids") or []
        return GttAck(trigger_id=str(ids[0]) if ids else "", raw=data)

    def modify_gtt(self, session: BrokerSession, trigger_id: str, request: GttRequest) -> GttAck:
        self.refuse_expiry(request, "upstox", "Upstox")
        body = {"type": "SINGLE", "quantity": int(request.quantity), "rules": [entry_rule(request)],
                "gtt_order_id": trigger_id}
        data = self.client.call("PUT", "/v3/order/gtt/modify", session, bucket="orders", json=body) or {}
        ids = data.get("gtt_order_ids") or [trigger_id]
        return GttAck(trigger_id=str(ids[0]), raw=data)

    def cancel_gtt(self, session: BrokerSession, trigger_id: str) -> GttAck:
        data = self.client.call("DELETE", "/v3/order/gtt/cancel", session, bucket="orders",
                                json={"gtt_order_id": trigger_id}) or {}
        ids = data.get("gtt_order_ids") or [trigger_id]
        return GttAck(trigger_id=str(ids[0]), raw=data)

    def gtt_book(self, session: BrokerSession) -> list[Gtt]:
        rows = self.client.call("GET", "/v3/order/gtt", session) or []
        return [self.gtt(row) for row in rows if isinstance(row, dict)]

    def gtt(self, row: dict[str, Any]) -> Gtt:
        symbol, exchange = self.names(row)
        rules = [r for r in row.get("rules") or [] if isinstance(r, dict)]
        entry = next((r for r in rules if r.get("strategy") == "ENTRY"), rules[0] if rules else {})
        status = _STATUS.get(str(entry.get("status") or "").upper(), "active")
        legs = tuple(GttLeg(trigger_price=float(r.get("trigger_price") or 0), price=float(r.get("trigger_price") or 0),
                            pricetype="LIMIT", order_id=str(r.get("order_id") or "")) for r in rules[:1])
        return Gtt(trigger_id=str(row.get("gtt_order_id") or ""), symbol=symbol, exchange=exchange,
                   trigger_type="SINGLE" if row.get("type") == "SINGLE" else "OCO", status=status,
                   action=str(entry.get("transaction_type") or row.get("transaction_type") or "").upper(),
                   quantity=int(row.get("quantity") or 0),
                   product=to_unified_product(row.get("product"), str(row.get("instrument_token") or "")),
                   legs=legs, created_at=_micros(row.get("created_at")), expires_at=_micros(row.get("expires_at")),
                   rejection_reason=str(entry.get("message") or "") if status == "rejected" else "", raw=row)
