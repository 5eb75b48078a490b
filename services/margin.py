"""Basket margin (API_CONTRACT.md §5.6) through the broker's margin calculator.

A broker without one answers 501 `Margin calculation not implemented for broker: X` (the contract's
text); the paper broker computes its documented approximation (broker/paper/margins.py).
"""
from __future__ import annotations

from typing import Any

from broker.contract.models import MarginLeg
from services import market_data
from services.broker_session import live_session
from broker.errors import NotSupported
from utils.errors import InvalidInput


def margin(user_id: int, positions: list[dict[str, Any]]) -> dict[str, Any]:
    live = live_session(user_id)
    if not live.plugin.capabilities.margin_calculator:
        raise NotSupported(f"Margin calculation not implemented for broker: {live.name}", broker=live.name)
    legs = []
    for number, position in enumerate(positions, start=1):
        try:
            instrument = market_data.resolve(live, position["symbol"], position["exchange"])
        except InvalidInput as exc:
            raise InvalidInput(f"Position {number}: {exc.message}", field="positions") from None
        legs.append(MarginLeg(instrument=instrument, action=position["action"], quantity=position["quantity"],
                              product=position["product"], pricetype=position["pricetype"],
                              price=position["price"], trigger_price=position["trigger_price"]))
    result = live.plugin.funds.margin(live.session, legs)
    data: dict[str, Any] = {"total_margin_required": result.total_margin_required}
    if result.span_margin is not None:
        data["span_margin"] = result.span_margin
    if result.exposure_margin is not None:
        data["exposure_margin"] = result.exposure_margin
    return {"status": "success", "data": data}
