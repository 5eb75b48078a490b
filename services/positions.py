"""`closeposition` (§3.8) and `openposition` (§4.2).

Close position squares off only the given strategy's positions when the broker can tell strategies
apart. The paper engine nets positions per (symbol, exchange, product) across strategies, so it cannot:
every open position is squared off, and the message says so.
"""
from __future__ import annotations

from typing import Any, Mapping

from services import order_acks, order_flow, order_target
from services.latency import LatencyTimer
from services.order_target import Target


def close_position(user_id: int, data: Mapping[str, Any], timer: LatencyTimer | None = None) -> dict[str, Any]:
    def work(target: Target, timer: LatencyTimer) -> dict[str, Any]:
        target.plugin.require("close_all_positions")
        with order_flow.serialized(user_id), timer.stage("broker"):
            acks = order_acks.close_all(target,
                                        lambda symbol, exchange: order_target.instrument(target, symbol, exchange))
        scope = "all strategies: positions are netted per symbol, not per strategy"
        if not acks:
            return {"status": "success", "message": f"No open positions to close ({scope})",
                    "closed_positions": 0, "orderids": []}
        return {"status": "success", "message": f"All Open Positions Squared Off ({len(acks)} positions, {scope})",
                "closed_positions": len(acks), "orderids": [str(a.order_id) for a in acks]}
    return order_flow.run(user_id, "closeposition", data, work, timer=timer)


def open_position(user_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    def work(target: Target, timer: LatencyTimer) -> dict[str, Any]:
        target.plugin.require("open_position")
        with timer.stage("broker"):
            quantity = target.plugin.orders.open_position(target.session, data["symbol"], data["exchange"],
                                                          data["product"])
        return {"status": "success", "quantity": int(quantity) if float(quantity).is_integer() else quantity}
    return order_flow.run(user_id, "openposition", data, work, journal=False)
