"""The common path of every order-changing request: target, business validation, broker call, error
mapping, `mode` flag, latency stages and the durable journal entry — written before the response.

Use-case modules (orders, smart_order, basket, split, positions) give `run` a function that does the
work against a `Target` and returns the success body; `run` returns that body or raises the failure as
a DomainError (utils/errors.py), journaling the outcome either way with the envelope the client gets.
"""
from __future__ import annotations

from contextlib import contextmanager, nullcontext
from typing import Any, Callable, Iterator, Mapping

from broker.contract import OrderRequest
from broker.errors import TokenExpired
from database.core import db
from database.order_locks import LOCK_WAIT_SECONDS, OrderLockTimeout, order_lock
from services import broker_session, order_journal, order_target
from services.latency import LatencyTimer
from services.order_target import Target
from utils.constants import CASH_EXCHANGES, FNO_EXCHANGES, FRACTIONAL_QUANTITY_EXCHANGES
from utils.errors import DomainError, InvalidInput, ServiceBusy, ServiceFailure
from utils.logging import get_logger
from utils.responses import error_envelope

log = get_logger(__name__)


def run(user_id: int, action: str, request: Mapping[str, Any], work: Callable[[Target, LatencyTimer], dict[str, Any]],
        *, timer: LatencyTimer | None = None, journal: bool = True) -> dict[str, Any]:
    """Run `work` for the user's target and journal the result (unless `journal` is False: read-only).

    Returns the success body; a failure is journaled with the envelope the client will get and raised as
    a DomainError (anything unexpected becomes the contract's ServiceFailure "Failed to ... due to
    internal error"). In analyzer mode both carry `mode: "analyze"`."""
    timer = timer or LatencyTimer()
    target: Target | None = None
    try:
        target = order_target.resolve(user_id)
        # a token the live broker rejects marks the session expired (the same mechanism as every other
        # broker call); the paper engine of analyzer mode has no token
        with nullcontext() if target.analyze else broker_session.expire_on_token_error(user_id):
            body = work(target, timer)
    except DomainError as exc:
        error = _session_expired(exc)
        _journal_error(user_id, action, request, error, target, timer, journal)
        if error is exc:
            raise
        raise error from None
    except Exception as exc:  # noqa: BLE001 — the client must get the contract's 500, the journal the outcome
        log.exception("%s failed for user %s", action, user_id)
        error = ServiceFailure(f"Failed to {_verb(action)} due to internal error")
        _journal_error(user_id, action, request, error, target, timer, journal)
        raise error from exc
    mode = target.mode
    if mode == order_target.MODE_ANALYZE:
        body["mode"] = "analyze"
    if journal:
        order_journal.record(user_id=user_id, action=action, request=request, response=body, http_status=200,
                             mode=mode, broker=target.broker, timer=timer)
    return body


def _session_expired(exc: DomainError) -> DomainError:
    """A rejected token always answers with the reconnect message of broker_session."""
    if isinstance(exc, TokenExpired) and not isinstance(exc, broker_session.BrokerSessionExpired):
        return broker_session.BrokerSessionExpired(broker_session.expired_message(exc.message), broker=exc.broker,
                                                   raw=exc.raw)
    return exc


def _journal_error(user_id: int, action: str, request: Mapping[str, Any], error: DomainError, target: Target | None,
                   timer: LatencyTimer, journal: bool) -> None:
    mode = target.mode if target is not None else order_target.mode_of(user_id)
    if mode == order_target.MODE_ANALYZE:
        error.extra["mode"] = "analyze"
    if journal:
        body, status = error_envelope(error)
        order_journal.record(user_id=user_id, action=action, request=request, response=body, http_status=status,
                             mode=mode, broker=target.broker if target else None, timer=timer)


@contextmanager
def serialized(user_id: int, symbol: str | None = None, exchange: str = "", product: str = "") -> Iterator[None]:
    """Hold the user's order lock (database/order_locks.py) for one symbol, or for the whole user when
    `symbol` is None, around a read-decide-write step: the read and the orders it decides both inside."""
    try:
        with order_lock(db.engine, user_id, symbol, exchange, product):
            yield
    except OrderLockTimeout:
        scope = f"{symbol} ({exchange}, {product})" if symbol is not None else "this account"
        raise ServiceBusy(f"Another order for {scope} is still being processed after {LOCK_WAIT_SECONDS} s; "
                          "try again.") from None


def _verb(action: str) -> str:
    return {"placeorder": "place order", "modifyorder": "modify order", "cancelorder": "cancel order"}.get(
        action, action)


# ----------------------------------------------------------------------------------- validation
def whole_quantity(quantity: float, exchange: str, *, allow_zero: bool = False) -> int | float:
    if exchange in FRACTIONAL_QUANTITY_EXCHANGES:
        return quantity
    if quantity != int(quantity):
        raise InvalidInput(f"Invalid quantity. Fractional quantity ({quantity:g}) is not allowed for "
                           "non-crypto exchanges.")
    if quantity < 0 or (quantity == 0 and not allow_zero):
        raise InvalidInput("Invalid quantity. quantity must be greater than 0.")
    return int(quantity)


def check_terms(exchange: str, product: str, pricetype: str, price: float, trigger_price: float) -> None:
    if product == "NRML" and exchange in CASH_EXCHANGES:
        raise InvalidInput(f"NRML product is not allowed on {exchange}; use CNC or MIS for cash equity.")
    if product == "CNC" and exchange in FNO_EXCHANGES:
        raise InvalidInput(f"CNC product is not allowed on {exchange}; use NRML or MIS for derivatives.")
    if pricetype in ("LIMIT", "SL") and not price > 0:
        raise InvalidInput(f"price must be greater than 0 for {pricetype} orders.")
    if pricetype in ("SL", "SL-M") and not trigger_price > 0:
        raise InvalidInput(f"trigger_price must be greater than 0 for {pricetype} orders.")


def order_request(target: Target, order: Mapping[str, Any], strategy: str = "",
                  quantity: int | float | None = None, action: str | None = None, tag: str = "") -> OrderRequest:
    """Validate one order's business rules and resolve its instrument (InvalidInput naming the problem)."""
    exchange, product, pricetype = order["exchange"], order.get("product", "MIS"), order.get("pricetype", "MARKET")
    qty = whole_quantity(order["quantity"] if quantity is None else quantity, exchange)
    price, trigger = float(order.get("price", 0) or 0), float(order.get("trigger_price", 0) or 0)
    check_terms(exchange, product, pricetype, price, trigger)
    inst = order_target.instrument(target, order["symbol"], exchange)
    if inst.lotsize > 1 and qty % inst.lotsize:
        raise InvalidInput(f"Quantity {qty} of {inst.symbol} is not a multiple of the lot size {inst.lotsize}.")
    return OrderRequest(instrument=inst, action=action or order["action"], quantity=qty, product=product,
                        pricetype=pricetype, price=price if pricetype != "MARKET" else 0.0, trigger_price=trigger,
                        disclosed_quantity=int(order.get("disclosed_quantity", 0) or 0), strategy=strategy,
                        tag=tag)


def reject(user_id: int, action: str, request: Any, exc: DomainError, timer: LatencyTimer) -> None:
    """A request refused by schema validation: journaled (the analyzer log shows it with its validation
    result); the caller raises `exc` after this."""
    _journal_error(user_id, action, request if isinstance(request, dict) else {}, exc, None, timer, True)
