"""GTT triggers of the paper broker: stored in `paper_gtt`, checked against the simulated price path.

Each engine call that finds active GTTs (and the background matcher, every second, for users with
any) scans the price of each active GTT's instrument second by second since its last check, like
resting orders are matched (housekeeping.py), so a GTT triggers at the same instant and price whether
the server checked on time or after a restart. The first leg whose trigger the path crosses places
its order at that instant through the engine (checked like any order: a refused one is stored as
rejected, and the GTT stays "triggered" with that order, as brokers do); an OCO's other leg is void.

Directions: an OCO's stop-loss leg triggers when the price falls to its trigger, the target leg when
it rises to it; a SINGLE triggers when the price reaches its trigger from the side it was on when
placed (`last_price`). With PAPER_SESSION=exchange only instants inside the session count. A GTT not
triggered by `expires_at` (one year, as Kite) becomes "expired".
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
from sqlalchemy import bindparam, select

from broker.paper.housekeeping import in_session
from broker.paper.instruments import PaperInstrument
from database.paper import GTT_ACTIVE, GTTS, aware
from database.paper_tx import PaperRow, PaperTx

if TYPE_CHECKING:
    from broker.paper.source import Market

VALIDITY = timedelta(days=365)
TRIGGERED, CANCELLED, EXPIRED = "triggered", "cancelled", "expired"

_ACTIVE = (select(GTTS).where(GTTS.c.user_id == bindparam("uid"), GTTS.c.status == GTT_ACTIVE)
           .order_by(GTTS.c.id))
_ALL = select(GTTS).where(GTTS.c.user_id == bindparam("uid")).order_by(GTTS.c.id)
_BY_ID = select(GTTS).where(GTTS.c.user_id == bindparam("uid"), GTTS.c.trigger_id == bindparam("trigger_id"))

# (gtt row, leg, instant) -> the order placed for the leg
PlaceLeg = Callable[[PaperRow, dict[str, Any], datetime], PaperRow]


def legs_of(gtt: PaperRow) -> list[dict[str, Any]]:
    return json.loads(gtt.legs)


def dump(legs: list[dict[str, Any]]) -> str:
    """Legs as stored: role, trigger_price, price, pricetype, order_id (placed on trigger)."""
    return json.dumps([{"role": leg["role"], "trigger_price": float(leg["trigger_price"]),
                        "price": float(leg.get("price") or 0), "pricetype": leg.get("pricetype", "LIMIT"),
                        "order_id": leg.get("order_id", "")} for leg in legs])


def active(tx: PaperTx, user_id: int) -> list[PaperRow]:
    return tx.rows(GTTS, _ACTIVE, {"uid": user_id})


def every(tx: PaperTx, user_id: int) -> list[PaperRow]:
    return tx.rows(GTTS, _ALL, {"uid": user_id})


def by_id(tx: PaperTx, user_id: int, trigger_id: str) -> PaperRow | None:
    return tx.first(GTTS, _BY_ID, {"uid": user_id, "trigger_id": trigger_id})


def _hits(leg: dict[str, Any], last_price: float, values: np.ndarray) -> np.ndarray:
    trigger = float(leg["trigger_price"])
    rising = leg["role"] == "target" or (leg["role"] == "single" and trigger >= last_price)
    return values >= trigger if rising else values <= trigger


def first_crossing(gtt: PaperRow, epochs: np.ndarray, values: np.ndarray) -> tuple[int, datetime] | None:
    """(leg index, instant) of the first leg the path crossed, or None."""
    best: tuple[int, int] | None = None
    for index, leg in enumerate(legs_of(gtt)):
        hit = _hits(leg, float(gtt.last_price), values)
        if hit.any():
            at = int(np.argmax(hit))
            if best is None or at < best[1]:
                best = (index, at)
    if best is None:
        return None
    return best[0], datetime.fromtimestamp(int(epochs[best[1]]), tz=timezone.utc)


def check(tx: PaperTx, user_id: int, now: datetime, lookup: Callable[[str, str], PaperInstrument | None],
          market: "Market", place_leg: PlaceLeg, exchange_hours: bool = False) -> None:
    """Trigger or expire the user's active GTTs up to `now`."""
    for gtt in active(tx, user_id):
        inst = lookup(gtt.symbol, gtt.exchange)
        expires = aware(gtt.expires_at)
        until = min(now, expires)
        since = aware(gtt.checked_at)
        if inst is not None and until > since:
            epochs, values = market.price_range(inst, since, until)
            if exchange_hours and values.size:
                keep = in_session(inst.exchange, epochs)
                epochs, values = epochs[keep], values[keep]
            gtt.checked_at = until.astimezone(timezone.utc)
            crossing = first_crossing(gtt, epochs, values) if values.size else None
            if crossing is not None:
                _trigger(gtt, crossing[0], crossing[1], place_leg)
                continue
        if now >= expires:
            gtt.status, gtt.updated_at = EXPIRED, expires.astimezone(timezone.utc)


def _trigger(gtt: PaperRow, index: int, at: datetime, place_leg: PlaceLeg) -> None:
    legs = legs_of(gtt)
    order = place_leg(gtt, legs[index], at)
    legs[index]["order_id"] = order.orderid
    gtt.legs = json.dumps(legs)
    gtt.status, gtt.updated_at = TRIGGERED, at.astimezone(timezone.utc)
