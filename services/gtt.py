"""GTT orders (API_CONTRACT.md §16): place, modify, cancel and list a user's price triggers.

The rules are the 2.x client's (its docstrings state the server's): SINGLE has exactly one of
`triggerprice_sl` / `triggerprice_tg` (a direction hint only) and `price` for a LIMIT order; OCO needs
all four of `triggerprice_sl`, `stoploss`, `triggerprice_tg`, `target` with the stop-loss trigger below
the target trigger, and its legs are LIMIT orders; products CNC / NRML; the last price is fetched here,
never sent by the client. Modify replaces every field, but the symbol, exchange, action and trigger
type of a trigger stay as placed. `validity_days` (optional) sets when an untriggered trigger expires,
counted from the request; without it the broker's own validity applies, and a broker whose validity is
fixed refuses it. Requests go to the order target like orders (analyzer mode: the paper engine) and are
journaled; a broker without GTT answers 501 naming itself.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Mapping

from broker.contract import Gtt, GttLeg, GttRequest
from services import order_flow
from services.latency import LatencyTimer
from services.order_target import Target
from utils import clock
from utils.errors import InvalidInput, NotFound

TRIGGER_TYPE_LABELS = {"SINGLE": "single", "OCO": "two-leg"}


def _legs(data: Mapping[str, Any]) -> tuple[GttLeg, ...]:
    sl_trigger, tg_trigger = data.get("triggerprice_sl") or 0.0, data.get("triggerprice_tg") or 0.0
    if data["trigger_type"] == "OCO":
        missing = [name for name in ("triggerprice_sl", "stoploss", "triggerprice_tg", "target") if not data.get(name)]
        if missing:
            raise InvalidInput(f"Required for OCO: {', '.join(missing)}.")
        if sl_trigger >= tg_trigger:
            raise InvalidInput("Stoploss trigger must be less than target trigger (triggerprice_sl < triggerprice_tg).")
        return (GttLeg(role="stoploss", trigger_price=sl_trigger, price=data["stoploss"], pricetype="LIMIT"),
                GttLeg(role="target", trigger_price=tg_trigger, price=data["target"], pricetype="LIMIT"))
    if (sl_trigger > 0) == (tg_trigger > 0):
        raise InvalidInput("SINGLE GTT takes exactly one of triggerprice_sl or triggerprice_tg (the other 0).")
    price = data.get("price") or 0.0
    if data["pricetype"] == "LIMIT" and not price > 0:
        raise InvalidInput("price must be greater than 0 for a LIMIT GTT order.")
    return (GttLeg(role="single", trigger_price=sl_trigger or tg_trigger,
                   price=price if data["pricetype"] == "LIMIT" else 0.0, pricetype=data["pricetype"]),)


def _request(target: Target, data: Mapping[str, Any]) -> GttRequest:
    legs = _legs(data)
    order = order_flow.order_request(target, {**data, "pricetype": "MARKET", "price": 0, "trigger_price": 0})
    ltp = target.plugin.data.quote(target.session, order.instrument).ltp
    days = data.get("validity_days")
    return GttRequest(instrument=order.instrument, trigger_type=data["trigger_type"], action=order.action,
                      quantity=order.quantity, product=order.product, legs=legs, last_price=ltp,
                      strategy=data.get("strategy") or "",
                      expires_at=clock.now() + timedelta(days=days) if days else None)


def _acknowledged(trigger_id: str) -> dict[str, Any]:
    return {"status": "success", "trigger_id": str(trigger_id)}


def place_gtt(user_id: int, data: Mapping[str, Any], timer: LatencyTimer | None = None) -> dict[str, Any]:
    def work(target: Target, timer: LatencyTimer) -> dict[str, Any]:
        with timer.stage("validation"):
            target.plugin.require("place_gtt")
            request = _request(target, data)
        with timer.stage("broker"):
            return _acknowledged(target.plugin.gtt.place_gtt(target.session, request).trigger_id)
    return order_flow.run(user_id, "placegttorder", data, work, timer=timer)


def modify_gtt(user_id: int, data: Mapping[str, Any], timer: LatencyTimer | None = None) -> dict[str, Any]:
    def work(target: Target, timer: LatencyTimer) -> dict[str, Any]:
        with timer.stage("validation"):
            target.plugin.require("modify_gtt")
            request = _request(target, data)
            _check_fixed_fields(_find(target, data["trigger_id"]), request)
        with timer.stage("broker"):
            return _acknowledged(target.plugin.gtt.modify_gtt(target.session, data["trigger_id"], request).trigger_id)
    return order_flow.run(user_id, "modifygttorder", data, work, timer=timer)


def cancel_gtt(user_id: int, data: Mapping[str, Any], timer: LatencyTimer | None = None) -> dict[str, Any]:
    def work(target: Target, timer: LatencyTimer) -> dict[str, Any]:
        target.plugin.require("cancel_gtt")
        with timer.stage("broker"):
            return _acknowledged(target.plugin.gtt.cancel_gtt(target.session, data["trigger_id"]).trigger_id)
    return order_flow.run(user_id, "cancelgttorder", data, work, timer=timer)


def gtt_book(user_id: int, data: Mapping[str, Any], timer: LatencyTimer | None = None) -> dict[str, Any]:
    """Active triggers (or all with status="all", active first), each as `describe` shows it."""
    def work(target: Target, timer: LatencyTimer) -> dict[str, Any]:
        target.plugin.require("gtt_book")
        with timer.stage("broker"):
            book = target.plugin.gtt.gtt_book(target.session)
        rows = [gtt for gtt in book if data.get("status", "active") == "all" or gtt.status == "active"]
        rows.sort(key=lambda gtt: gtt.status != "active")   # stable: the broker's order within each group
        return {"status": "success", "data": [describe(gtt) for gtt in rows]}
    return order_flow.run(user_id, "gttorderbook", data, work, timer=timer, journal=False)


def _find(target: Target, trigger_id: str) -> Gtt:
    for gtt in target.plugin.gtt.gtt_book(target.session):
        if gtt.trigger_id == trigger_id:
            return gtt
    raise NotFound(f"GTT {trigger_id} not found")


def _check_fixed_fields(existing: Gtt, request: GttRequest) -> None:
    if existing.status != "active":
        raise InvalidInput(f"GTT {existing.trigger_id} is {existing.status}; only active GTTs can be modified.")
    placed = {"symbol": existing.symbol, "exchange": existing.exchange, "action": existing.action,
              "trigger_type": existing.trigger_type}
    asked = {"symbol": request.instrument.symbol, "exchange": request.instrument.exchange, "action": request.action,
             "trigger_type": request.trigger_type}
    changed = [name for name in placed if placed[name] != asked[name]]
    if changed:
        raise InvalidInput(f"{', '.join(changed)} of a GTT cannot be modified (placed with "
                           + ", ".join(f"{name} {placed[name]}" for name in changed) + "); cancel and place a new one.")


def _stamp(moment: Any) -> str:
    return moment.isoformat() if moment is not None else ""


def describe(gtt: Gtt) -> dict[str, Any]:
    """One entry of the GTT book as the 2.x client documents it (legs stop-loss first)."""
    return {
        "trigger_id": gtt.trigger_id, "trigger_type": TRIGGER_TYPE_LABELS.get(gtt.trigger_type, gtt.trigger_type),
        "status": gtt.status, "symbol": gtt.symbol, "exchange": gtt.exchange, "action": gtt.action,
        "quantity": gtt.quantity, "product": gtt.product, "trigger_prices": gtt.trigger_prices,
        "last_price": gtt.last_price,
        "legs": [{"role": leg.role, "trigger_price": leg.trigger_price, "action": gtt.action,
                  "quantity": gtt.quantity, "product": gtt.product, "pricetype": leg.pricetype, "price": leg.price,
                  "orderid": leg.order_id} for leg in gtt.legs],
        "strategy": gtt.strategy, "rejection_reason": gtt.rejection_reason,
        "created_at": _stamp(gtt.created_at), "updated_at": _stamp(gtt.updated_at), "expires_at": _stamp(gtt.expires_at),
    }
