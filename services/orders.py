"""Place, modify and cancel single orders, cancel all open orders, and look one order up (§3.1, §3.5-3.7, §4.1)."""
from __future__ import annotations

from typing import Any, Mapping

from broker.contract import ModifyRequest
from broker.errors import BrokerError
from services import order_acks, order_flow
from services.books import order_row
from services.latency import LatencyTimer
from services.order_target import Target

PENDING_STATUSES = ("open", "trigger pending")


def place_order(user_id: int, data: Mapping[str, Any], timer: LatencyTimer | None = None,
                action: str = "placeorder", tag: str = "") -> dict[str, Any]:
    """`action` names the journal entry (basket legs are journaled as "basketorder"); `tag` is our
    reference carried by the broker order (strategy alerts find their order by it after a crash)."""
    def work(target: Target, timer: LatencyTimer) -> dict[str, Any]:
        with timer.stage("validation"):
            target.plugin.require("place_order")
            request = order_flow.order_request(target, data, data.get("strategy", ""), tag=tag)
        with timer.stage("broker"):
            ack = order_acks.place(target, request)
        return {"status": "success", "orderid": str(ack.order_id)}
    return order_flow.run(user_id, action, data, work, timer=timer)


def modify_order(user_id: int, data: Mapping[str, Any], timer: LatencyTimer | None = None) -> dict[str, Any]:
    def work(target: Target, timer: LatencyTimer) -> dict[str, Any]:
        with timer.stage("validation"):
            target.plugin.require("modify_order")
            order = order_flow.order_request(target, data)
            request = ModifyRequest(order_id=data["orderid"], instrument=order.instrument, action=order.action,
                                    quantity=order.quantity, product=order.product, pricetype=order.pricetype,
                                    price=order.price, trigger_price=order.trigger_price,
                                    disclosed_quantity=order.disclosed_quantity)
        with timer.stage("broker"):
            ack = order_acks.modify(target, request)
        return _acknowledged(target, ack.order_id, "Order modified successfully")
    return order_flow.run(user_id, "modifyorder", data, work, timer=timer)


def cancel_order(user_id: int, data: Mapping[str, Any], timer: LatencyTimer | None = None) -> dict[str, Any]:
    def work(target: Target, timer: LatencyTimer) -> dict[str, Any]:
        target.plugin.require("cancel_order")
        with timer.stage("broker"):
            ack = order_acks.cancel(target, data["orderid"])
        return _acknowledged(target, ack.order_id, "Order cancelled successfully")
    return order_flow.run(user_id, "cancelorder", data, work, timer=timer)


def _acknowledged(target: Target, order_id: str, analyze_message: str) -> dict[str, Any]:
    """§3.5/§3.6: live answers carry only the order id; analyze mode adds a message."""
    body = {"status": "success", "orderid": str(order_id)}
    return {**body, "message": analyze_message} if target.analyze else body


def cancel_all_orders(user_id: int, data: Mapping[str, Any], timer: LatencyTimer | None = None) -> dict[str, Any]:
    """Cancels the open orders of `strategy` when the broker records strategies (paper does), else all."""
    def work(target: Target, timer: LatencyTimer) -> dict[str, Any]:
        target.plugin.require("order_book")
        target.plugin.require("cancel_order")
        strategy = data.get("strategy")
        with order_flow.serialized(user_id), timer.stage("broker"):
            pending = [o for o in target.plugin.orders.order_book(target.session) if o.status in PENDING_STATUSES]
            by_strategy = bool(strategy) and all(_strategy_of(o) is not None for o in pending)
            if by_strategy:
                pending = [o for o in pending if _strategy_of(o) == strategy]
            canceled, failed = [], []
            for order in pending:
                try:
                    canceled.append(str(order_acks.cancel(target, order.order_id).order_id))
                except BrokerError as exc:
                    failed.append({"orderid": order.order_id, "message": exc.message})
        scope = f" of strategy '{strategy}'" if by_strategy else " (all strategies)"
        if not pending:
            message = f"No open orders to cancel{scope}"
        else:
            message = f"Canceled {len(canceled)} orders{scope}." + (
                f" Failed to cancel {len(failed)} orders." if failed else "")
        return {"status": "success", "message": message, "canceled_orders": canceled,
                "failed_cancellations": failed}
    return order_flow.run(user_id, "cancelallorder", data, work, timer=timer)


def _strategy_of(order: Any) -> str | None:
    raw = order.raw if isinstance(order.raw, dict) else {}
    return raw.get("strategy")


def order_status(user_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    def work(target: Target, timer: LatencyTimer) -> dict[str, Any]:
        target.plugin.require("order_status")
        with timer.stage("broker"):
            order = target.plugin.orders.order_status(target.session, data["orderid"])
        row = order_row(order, target.analyze)
        row["average_price"] = round(order.average_price, 2) if order.status == "complete" else 0
        return {"status": "success", "data": row}
    return order_flow.run(user_id, "orderstatus", data, work, journal=False)
