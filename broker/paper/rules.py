"""Order checks of the paper broker, with broker-style rejection reasons.

Each check returns None when the order passes or the reason text when it does not; the engine stores
the reason on the rejected order and the adapter raises it as `InvalidOrder`. Price bands are
approximations of the exchanges' circuit and dynamic bands: equities ±30 % of the previous close,
futures ±10 %, options up to five times the larger of the previous close and the last price.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from broker.paper import calendar
from broker.paper.instruments import PaperInstrument
from utils.constants import ACTIONS, CASH_EXCHANGES, PRICE_TYPES, PRODUCTS

MAX_LOTS_PER_ORDER = 10_000
EQUITY_BAND = 0.20   # the widest NSE/BSE circuit band for equities
FUTURES_BAND = 0.10  # NSE's operating range for futures, around the base and the last price
OPTION_BAND_MULTIPLE = 5


@dataclass(frozen=True)
class OrderTerms:
    action: str
    quantity: int
    product: str
    pricetype: str
    price: float
    trigger_price: float


def _on_tick(value: float, tick: float) -> bool:
    steps = value / tick
    return math.isclose(steps, round(steps), abs_tol=1e-6)


def check_instrument(inst: PaperInstrument, terms: OrderTerms, now: datetime) -> str | None:
    if not inst.tradable:
        return f"{inst.symbol} on {inst.exchange} is an index and cannot be traded"
    if inst.expiry_epoch and now.timestamp() >= inst.expiry_epoch:
        return f"{inst.symbol} expired on {inst.expiry}; the contract can no longer be traded"
    if terms.product not in PRODUCTS:
        return f"Product {terms.product} is not allowed; use one of {', '.join(PRODUCTS)}"
    if terms.product == "NRML" and inst.exchange in CASH_EXCHANGES:
        return f"NRML is not allowed on {inst.exchange} (cash); use CNC or MIS"
    if terms.product == "CNC" and inst.exchange not in CASH_EXCHANGES:
        return f"CNC is not allowed on {inst.exchange} (derivatives); use NRML or MIS"
    return None


def check_quantity(inst: PaperInstrument, terms: OrderTerms) -> str | None:
    if terms.action not in ACTIONS:
        return f"Action {terms.action} is not allowed; use BUY or SELL"
    if terms.quantity <= 0:
        return f"Quantity must be greater than 0, got {terms.quantity}"
    if terms.quantity % inst.lotsize:
        return (f"Quantity {terms.quantity} is not a multiple of the lot size {inst.lotsize} "
                f"for {inst.symbol} ({inst.exchange})")
    limit = inst.lotsize * MAX_LOTS_PER_ORDER
    if terms.quantity > limit:
        return f"Quantity {terms.quantity} exceeds the maximum of {limit} per order for {inst.symbol}"
    return None


def check_prices(inst: PaperInstrument, terms: OrderTerms, ltp: float, prev_close: float) -> str | None:
    if terms.pricetype not in PRICE_TYPES:
        return f"Price type {terms.pricetype} is not allowed; use one of {', '.join(PRICE_TYPES)}"
    needs_price = terms.pricetype in ("LIMIT", "SL")
    needs_trigger = terms.pricetype in ("SL", "SL-M")
    if needs_price and terms.price <= 0:
        return f"{terms.pricetype} orders need a price greater than 0"
    if needs_trigger and terms.trigger_price <= 0:
        return f"{terms.pricetype} orders need a trigger price greater than 0"
    for label, value, used in (("Price", terms.price, needs_price), ("Trigger price", terms.trigger_price, needs_trigger)):
        if used and not _on_tick(value, inst.tick_size):
            return f"{label} {value:g} is not a multiple of the tick size {inst.tick_size:g} for {inst.symbol}"
        if used:
            low, high = price_band(inst, ltp, prev_close)
            if not low <= value <= high:
                return f"{label} {value:g} is outside the price band {low:.2f} - {high:.2f} for {inst.symbol}"
    if needs_trigger:
        return _check_trigger(terms, ltp)
    return None


def _check_trigger(terms: OrderTerms, ltp: float) -> str | None:
    if terms.action == "BUY":
        if terms.trigger_price <= ltp:
            return f"Trigger price {terms.trigger_price:g} of a stop-loss BUY must be above the last price {ltp:g}"
        if terms.pricetype == "SL" and terms.price < terms.trigger_price:
            return f"Limit price {terms.price:g} of a stop-loss BUY must be at or above the trigger price {terms.trigger_price:g}"
    else:
        if terms.trigger_price >= ltp:
            return f"Trigger price {terms.trigger_price:g} of a stop-loss SELL must be below the last price {ltp:g}"
        if terms.pricetype == "SL" and terms.price > terms.trigger_price:
            return f"Limit price {terms.price:g} of a stop-loss SELL must be at or below the trigger price {terms.trigger_price:g}"
    return None


def price_band(inst: PaperInstrument, ltp: float, prev_close: float) -> tuple[float, float]:
    """The prices an order may carry. Exchanges flex their bands as the price moves through them
    (NSE's dynamic price bands for F&O stocks and futures, the operating range of index derivatives),
    so the band spans both the previous close and the last price widened by the segment's width: an
    ordinary order near today's market is never refused, however far the day has moved."""
    if inst.kind == "option":
        return inst.tick_size, round(max(prev_close, ltp) * OPTION_BAND_MULTIPLE + inst.tick_size, 2)
    width = FUTURES_BAND if inst.is_derivative else EQUITY_BAND
    anchors = [price for price in (prev_close, ltp) if price > 0] or [inst.tick_size]
    return round(min(anchors) * (1 - width), 2), round(max(anchors) * (1 + width), 2)


def check_session(inst: PaperInstrument, terms: OrderTerms, now: datetime, session: str,
                  squareoff_passed: bool) -> str | None:
    """`exchange` sessions only: the market must be open, and no new MIS order after square-off."""
    if session != "exchange":
        return None
    if not calendar.is_open(inst.exchange, now):
        hours = calendar.describe_hours(inst.exchange, calendar.ist_now(now).date())
        return f"{inst.exchange} is closed; orders are accepted {hours} (PAPER_SESSION=exchange)"
    if terms.product == "MIS" and squareoff_passed:
        return "MIS orders are not accepted after the intraday square-off time"
    return None
