"""`placesmartorder` (API_CONTRACT.md §3.2): `position_size` is the TARGET net position.

With cur = current net quantity of (symbol, exchange, product) and tgt = position_size:
  * tgt = 0 and cur = 0: place the request's action for `quantity` if it is > 0, otherwise nothing;
  * tgt = cur ≠ 0: nothing ("Positions Already Matched. No Action needed.");
  * otherwise: BUY tgt−cur when positive, SELL |tgt−cur| when negative (request action/quantity ignored).
Requests for the same (user, symbol, exchange, product) are serialised by the order lock
(database/order_locks.py: across threads, worker processes and machines), taken before the position is
read and held until the order is placed, so each reads the position left by the previous one.
"""
from __future__ import annotations

from typing import Any, Mapping

from services import order_acks, order_flow
from services.latency import LatencyTimer
from services.order_target import Target

MATCHED = "Positions Already Matched. No Action needed."
NOTHING_TO_EXIT = "No OpenPosition Found. Not placing Exit order."

def place_smart_order(user_id: int, data: Mapping[str, Any], timer: LatencyTimer | None = None,
                      tag: str = "") -> dict[str, Any]:
    def work(target: Target, timer: LatencyTimer) -> dict[str, Any]:
        exchange, product = data["exchange"], data.get("product", "MIS")
        target_qty = order_flow.whole_quantity(data["position_size"], exchange, allow_zero=True) \
            if data["position_size"] >= 0 else -order_flow.whole_quantity(-data["position_size"], exchange)
        quantity = order_flow.whole_quantity(data["quantity"], exchange, allow_zero=True)
        target.plugin.require("place_order")
        target.plugin.require("open_position")
        with order_flow.serialized(user_id, data["symbol"], exchange, product):
            with timer.stage("broker"):
                current = target.plugin.orders.open_position(target.session, data["symbol"], exchange, product)
            if target_qty == 0 and current == 0:
                if quantity == 0:
                    return {"status": "success", "message": NOTHING_TO_EXIT if target.analyze else MATCHED}
                action, delta = data["action"], quantity
            elif target_qty == current:
                return {"status": "success", "message": MATCHED}
            else:
                delta = target_qty - current
                action, delta = ("BUY", delta) if delta > 0 else ("SELL", -delta)
            with timer.stage("validation"):
                request = order_flow.order_request(target, data, data.get("strategy", ""), quantity=delta,
                                                   action=action, tag=tag)
            with timer.stage("broker"):
                ack = order_acks.place(target, request)
        return {"status": "success", "orderid": str(ack.order_id)}
    return order_flow.run(user_id, "placesmartorder", data, work, timer=timer)
