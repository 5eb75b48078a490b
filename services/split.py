"""`splitorder` (API_CONTRACT.md §3.4): one order cut into children of `splitsize` (plus a remainder),
placed one after the other, at most 100 children; each child is journaled with its own result."""
from __future__ import annotations

from typing import Any, Mapping

from services import order_acks, order_flow
from services.latency import LatencyTimer
from services.order_target import Target
from utils.errors import DomainError, InvalidInput
from utils.responses import error_body

MAX_CHILDREN = 100


def child_sizes(total: int, size: int) -> list[int]:
    count = total // size + (1 if total % size else 0)
    if count > MAX_CHILDREN:  # checked before building the list: quantity can be astronomically large
        raise InvalidInput(f"Total number of orders would exceed maximum limit of {MAX_CHILDREN} "
                           f"({total} in children of {size}): raise splitsize", field="splitsize")
    return [size] * (total // size) + ([total % size] if total % size else [])


def split_order(user_id: int, data: Mapping[str, Any], timer: LatencyTimer | None = None) -> dict[str, Any]:
    def work(target: Target, timer: LatencyTimer) -> dict[str, Any]:
        total = order_flow.whole_quantity(data["quantity"], data["exchange"])
        if total != int(total) or total < 1:   # fractional (CRYPTO) quantities are placed whole, not split
            raise InvalidInput(f"quantity must be a whole number of at least 1 to split (got {total:g}); place "
                               "a fractional quantity with placeorder", field="quantity")
        sizes = child_sizes(int(total), int(data["splitsize"]))
        target.plugin.require("place_order")
        order_flow.order_request(target, data, quantity=sizes[0])  # whole-request validation before any child
        results = [_child(user_id, data, number, size) for number, size in enumerate(sizes, start=1)]
        return {"status": "success", "total_quantity": total, "split_size": int(data["splitsize"]),
                "results": results}
    return order_flow.run(user_id, "splitorder", data, work, timer=timer)


def _child(user_id: int, data: Mapping[str, Any], number: int, size: int) -> dict[str, Any]:
    child = {**data, "quantity": size, "order_num": number}

    def place(target: Target, timer: LatencyTimer) -> dict[str, Any]:
        request = order_flow.order_request(target, child, data.get("strategy", ""))
        with timer.stage("broker"):
            ack = order_acks.place(target, request)
        return {"status": "success", "orderid": str(ack.order_id)}
    try:
        body = order_flow.run(user_id, "splitorder_child", child, place)
    except DomainError as exc:   # a failed child is reported in its place; the others still go
        body = error_body(exc)
    body.pop("mode", None)
    return {"order_num": number, "quantity": size, **body}
