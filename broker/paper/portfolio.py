"""Valuation of a paper account at one instant: positions, holdings and funds as contract objects.

Funds (API_CONTRACT §5.1): `utiliseddebits` is the margin held by open positions plus that blocked by
resting orders; `availablecash` is the balance (capital + realized P&L − cash paid for holdings) minus
that margin; `m2mrealized` is today's realized P&L and `m2munrealized` the open positions' P&L at the
last price. The sandbox extras of the reference (total/today realized, exposure, last reset, reset
count) are kept in `raw`, with the charges paid (PAPER_CHARGES) and today's P&L.

A position's `pnl` is its total P&L since it was opened (realized today + unrealized from the average
price); `raw.day_pnl` is today's: for a position carried over from an earlier day it counts from the
previous close (`raw.close_price`, as a broker's M2M does), so the day after a move shows only that day's.
A holding's `raw.day_pnl` is likewise today's: its change since the close it was marked to at the
day rollover (`raw.prev_close`), plus today's sales from it against that close (`raw.day_realized`).
A holding sold out today is not in the holdings book but in `Snapshot.sold_holdings` (for the day's
P&L report) until the rollover. A position's money (P&L, exposure) is quantity x its contract multiplier x
price (broker/paper/fills.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Callable

from sqlalchemy import bindparam, func, select

from broker.contract.models import Funds, Holding, Position
from broker.paper.fills import holdings_of, loaded_position_margin, positions_of
from database.paper import ORDERS, POSITIONS, aware, is_resting
from database.paper_tx import PaperRow, PaperTx
from utils.day_pnl import unrealized as marked_pnl

if TYPE_CHECKING:
    from broker.paper.source import Market


@dataclass(frozen=True)
class Snapshot:
    positions: list[Position]
    holdings: list[Holding]
    funds: Funds
    sold_holdings: list[Holding] = field(default_factory=list)   # sold out today: quantity 0, day P&L


_USED_MARGIN = select(
    select(func.coalesce(func.sum(POSITIONS.c.margin_blocked), 0.0))
    .where(POSITIONS.c.user_id == bindparam("uid")).scalar_subquery(),
    select(func.coalesce(func.sum(ORDERS.c.margin_blocked), 0.0))
    .where(ORDERS.c.user_id == bindparam("uid"), is_resting(ORDERS.c.status)).scalar_subquery())


def used_margin(tx: PaperTx, user_id: int) -> float:
    """Margin of open positions plus that blocked by resting orders (one statement, two subqueries;
    none when the engine call loaded the positions and no order rests)."""
    loaded = loaded_position_margin(tx)
    if loaded is not None:
        return loaded
    held, blocked = tx.execute(_USED_MARGIN, {"uid": user_id}).one()
    return float(held or 0.0) + float(blocked or 0.0)


def build_snapshot(tx: PaperTx, account: PaperRow, now: datetime,
                   lookup: Callable[[str, str, datetime], object], market: "Market") -> Snapshot:
    def ltp(symbol: str, exchange: str) -> float:
        inst = lookup(symbol, exchange, now)
        return market.price(inst, now) if inst is not None else 0.0

    positions, unrealized, exposure, day_pnl = [], 0.0, 0.0, 0.0
    tx.flush()   # positions opened in this call get their ids, which order the book
    for row in sorted(positions_of(tx), key=lambda p: p.id):
        last = ltp(row.symbol, row.exchange)
        units = row.quantity * float(row.multiplier or 1.0)
        open_pnl = units * (last - row.average_price) if row.quantity else 0.0
        unrealized += open_pnl
        exposure += abs(units) * last
        today = row.realized_pnl + open_pnl - row.carry_pnl
        day_pnl += today
        positions.append(Position(
            symbol=row.symbol, exchange=row.exchange, product=row.product, quantity=row.quantity,
            average_price=round(row.average_price, 2), ltp=last, pnl=round(row.realized_pnl + open_pnl, 2),
            realized_pnl=round(row.realized_pnl, 2), unrealized_pnl=round(open_pnl, 2),
            raw={"margin_blocked": row.margin_blocked, "updated_at": aware(row.updated_at).isoformat(),
                 "day_pnl": round(today, 2), "overnight_quantity": row.overnight_quantity,
                 "close_price": round(row.close_price, 2)}))
    holdings, sold_holdings = [], []
    for row in holdings_of(tx, account.user_id):
        inst = lookup(row.symbol, row.exchange, now)
        quote = market.quote(inst, now) if inst is not None else {"ltp": 0.0, "prev_close": 0.0}
        last = quote["ltp"]
        mark = row.close_price or quote["prev_close"] or last
        day = marked_pnl(row.quantity, mark, last) + row.day_realized
        (holdings if row.quantity else sold_holdings).append(Holding(
            symbol=row.symbol, exchange=row.exchange, quantity=row.quantity, average_price=round(row.average_price, 2),
            ltp=last, pnl=round(row.quantity * (last - row.average_price), 2),
            raw={"settlement_date": row.settled_on.isoformat(), "current_value": round(row.quantity * last, 2),
                 "prev_close": round(mark, 4), "day_pnl": round(day, 2), "day_realized": round(row.day_realized, 2)}))
    margin = used_margin(tx, account.user_id)
    funds = Funds(available_cash=round(account.balance - margin, 2), collateral=0.0,
                  m2m_realized=round(account.realized_today, 2), m2m_unrealized=round(unrealized, 2),
                  utilised_debits=round(margin, 2),
                  raw={"capital": account.capital, "balance": round(account.balance, 2),
                       "total_realized_pnl": round(account.realized_total, 2),
                       "today_realized_pnl": round(account.realized_today, 2),
                       "grossexposure": round(exposure, 2),
                       "totalpnl": round(account.realized_total + unrealized, 2),
                       "last_reset": aware(account.last_reset).isoformat(),
                       "reset_count": account.reset_count, "market": market.label,
                       "day_pnl": round(day_pnl, 2), "charges_today": round(account.charges_today, 2),
                       "charges_total": round(account.charges_total, 2)})
    return Snapshot(positions, holdings, funds, sold_holdings)
