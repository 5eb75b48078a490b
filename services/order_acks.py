"""Broker order calls that announce what the broker acknowledged as an order event.

Every order the server places, modifies, cancels or squares off (REST, webhooks, hosted strategies,
square-off, analyzer mode) goes through `place`, `modify`, `cancel` or `close_all` here, so subscribers of the user's order
events (`subscribe_orders`, the dashboard) learn of it the moment the broker answers, whatever the
broker can push.

Who already reports the order decides whether the server adds its own event: the paper engine
publishes every change itself, and a broker whose capability `order_updates` is "push" reports every
order of the account in its own feed, in its own order; an event of ours beside it could arrive after
the broker's newer one (a MARKET order's "complete") and show a stale state. So the acknowledgement
event is published for brokers that push nothing ("poll": the poller then reports fills and later
changes; "none": it is the only event there is).
"""
from __future__ import annotations

from typing import Callable

from broker.contract import Instrument, ModifyRequest, OrderAck, OrderEvent, OrderRequest
from broker.errors import BrokerError
from services.brokers import order_events
from services.order_target import Target
from utils.constants import ORDER_STATUS_OPEN, ORDER_STATUS_TRIGGER_PENDING
from utils.logging import get_logger

log = get_logger(__name__)

_TRIGGERED_TYPES = ("SL", "SL-M")


def announces(target: Target) -> bool:
    """True when the server itself must report orders acknowledged on `target` (see the docstring)."""
    return target.broker != "paper" and target.plugin.capabilities.order_updates != "push"


def place(target: Target, request: OrderRequest) -> OrderAck:
    ack = target.plugin.orders.place_order(target.session, request)
    if announces(target):
        _publish(target, _event(ack.order_id, request, request.strategy))
    return ack


def modify(target: Target, request: ModifyRequest) -> OrderAck:
    ack = target.plugin.orders.modify_order(target.session, request)
    if announces(target):
        _publish(target, _event(ack.order_id or request.order_id, request, ""))
    return ack


def cancel(target: Target, order_id: str) -> OrderAck:
    """A cancel request names only the order, so its event is the order as the broker shows it right
    after (one order-status read); a broker without that read gets no event from us."""
    ack = target.plugin.orders.cancel_order(target.session, order_id)
    if announces(target):
        _read_back(target, str(ack.order_id or order_id))
    return ack


def close_all(target: Target, resolve: Callable[[str, str], Instrument]) -> list[OrderAck]:
    """Square off every open position; the broker builds these orders, so each one's event is the order
    as the broker then shows it (one order-status read per order)."""
    acks = target.plugin.orders.close_all_positions(target.session, resolve)
    if announces(target):
        for ack in acks:
            _read_back(target, str(ack.order_id))
    return acks


def _read_back(target: Target, order_id: str) -> None:
    if not target.plugin.capabilities.supports("order_status"):
        return
    try:
        order = target.plugin.orders.order_status(target.session, order_id)
    except BrokerError as exc:   # the order stands; its event waits for the next book read
        log.warning("order %s acknowledged but not read back: %s", order_id, exc.message)
        return
    _publish(target, OrderEvent.from_order(order))


def _event(order_id: str, request: OrderRequest | ModifyRequest, strategy: str) -> OrderEvent:
    status = ORDER_STATUS_TRIGGER_PENDING if request.pricetype in _TRIGGERED_TYPES else ORDER_STATUS_OPEN
    return OrderEvent(order_id=str(order_id), symbol=request.instrument.symbol, exchange=request.instrument.exchange,
                      action=request.action, quantity=request.quantity, status=status, pricetype=request.pricetype,
                      product=request.product, pending_quantity=request.quantity, price=request.price,
                      trigger_price=request.trigger_price, strategy=strategy)


def _publish(target: Target, event: OrderEvent) -> None:
    order_events().publish(target.broker, target.session.user_id, event)
