"""The paper account's day-close record: before the day rollover clears each position's realised P&L
(housekeeping.settle_new_day), the day that ends is written to the P&L history (database/paper_pnl.py),
one row per (symbol, exchange, product) that was traded or held: bought and sold quantities and
averages and the charges of the day's fills, the day's realised P&L from the position, and the open
quantity marked to the close the next day's carry-forward marks it against. A position carried into
the day counts from the previous close (its `carry_pnl`, the P&L it had there, is not the day's), so
the recorded days add up to the account's P&L. A holding joins its symbol's CNC row the same way:
from the close it was marked to at the previous rollover to this day's, plus its sales of the day
against that close (`day_realized`); the rollover then marks it to this day's close.

It runs in the engine call's locked transaction, at most once per day per account (the rollover only
happens when the account's trading day is behind), and rewriting a day replaces that day's rows.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable

from sqlalchemy import bindparam, select

from broker.paper.calendar import IST
from broker.paper.fills import holdings_of, positions_of
from database.paper import TRADES
from database.paper_pnl import record_day
from database.paper_tx import PaperRow, PaperTx
from utils.day_pnl import Fill, HoldingDay, SymbolDay, side_totals, unrealized, with_holding

MAX_ROLLED_DAYS = 366     # the longest history the report shows (services/pnl_report.MAX_HISTORY_DAYS)
CloseOf = Callable[[str, str], "float | None"]   # (symbol, exchange) → the day's closing price, if known

_TRADES_BETWEEN = (select(TRADES).where(TRADES.c.user_id == bindparam("uid"), TRADES.c.created_at >= bindparam("start"),
                                        TRADES.c.created_at < bindparam("end")).order_by(TRADES.c.id))


def days_to_roll(last: date, today: date) -> list[date]:
    """The days the account rolls into, in order, from its last trading day `last` to `today`: each day
    after `last`, so each day that ended is recorded on its own; a gap longer than the history keeps
    (MAX_ROLLED_DAYS) rolls its older part in one step, recorded as one day."""
    if last >= today:
        return []
    first = max(last + timedelta(days=1), today - timedelta(days=MAX_ROLLED_DAYS - 1))
    return [first + timedelta(days=offset) for offset in range((today - first).days + 1)]


def close_day(tx: PaperTx, account: PaperRow, today: date, now: datetime, close_of: CloseOf) -> None:
    """Record the account's trading day that ends, when `today` is past it (else nothing to do). A day
    on which nothing was traded and no P&L moved (nothing held; or a live market's weekend or holiday,
    its close unchanged) is not recorded."""
    day = account.trading_day
    if day >= today:
        return
    rows = day_rows(tx, account.user_id, day, close_of)
    moved = any(row["buy_quantity"] or row["sell_quantity"] or row["realized"] or row["unrealized"] for row in rows)
    record_day(tx, account.user_id, day, rows if moved else [], now)


def day_rows(tx: PaperTx, user_id: int, day: date, close_of: CloseOf) -> list[dict]:
    start = datetime.combine(day, time(0, 0), tzinfo=IST).astimezone(timezone.utc)   # stored in UTC
    fills: dict[tuple[str, str, str], list[Fill]] = defaultdict(list)
    charges: dict[tuple[str, str, str], float] = defaultdict(float)
    for trade in tx.rows(TRADES, _TRADES_BETWEEN, {"uid": user_id, "start": start, "end": start + timedelta(days=1)}):
        key = (trade.symbol, trade.exchange, trade.product)
        fills[key].append(Fill(trade.action, trade.quantity, trade.price))
        charges[key] += trade.charges or 0.0
    positions = {(p.symbol, p.exchange, p.product): p for p in positions_of(tx)}
    holdings = {(h.symbol, h.exchange, "CNC"): h for h in holdings_of(tx, user_id)}
    rows = []
    for key in sorted(set(fills) | set(positions) | set(holdings)):
        day = _position_day(key, positions.get(key), fills[key], charges[key], close_of)
        if key in holdings:
            day = with_holding(day, _holding_day(holdings[key], close_of))
        if not fills[key] and not day.quantity and not day.realized:   # nothing happened to it that day
            continue
        close = (close_of(key[0], key[1]) if day.quantity else None) or 0.0
        rows.append({"symbol": key[0], "exchange": key[1], "product": key[2], "quantity": day.quantity,
                     "average_price": round(day.average_price, 4), "close_price": close,
                     "buy_quantity": day.sides.buy_quantity, "buy_average": round(day.sides.buy_average, 4),
                     "sell_quantity": day.sides.sell_quantity, "sell_average": round(day.sides.sell_average, 4),
                     "realized": round(day.realized, 4), "unrealized": round(day.unrealized, 4),
                     "charges": round(day.charges, 4)})
    return rows


def _position_day(key: tuple[str, str, str], position: PaperRow | None, fills: list[Fill], charges: float,
                  close_of: CloseOf) -> SymbolDay:
    quantity = position.quantity if position is not None else 0
    average = position.average_price if position is not None else 0.0
    close = (close_of(key[0], key[1]) if quantity else None) or 0.0
    carried = position.carry_pnl if position is not None else 0.0
    # no price known for an open quantity: counted as unchanged since the previous close
    multiplier = float(position.multiplier or 1.0) if position is not None else 1.0
    open_pnl = 0.0 if quantity and not close else unrealized(quantity * multiplier, average, close) - carried
    return SymbolDay(*key, quantity=quantity, average_price=average, ltp=close, sides=side_totals(fills),
                     realized=position.realized_pnl if position is not None else 0.0, unrealized=open_pnl,
                     charges=charges)


def _holding_day(holding: PaperRow, close_of: CloseOf) -> HoldingDay:
    """A holding from the close it was marked to (the previous one) to this day's; no price known:
    unchanged. Its sales that day were counted against the same mark when they filled."""
    close = (close_of(holding.symbol, holding.exchange) if holding.quantity else None) or 0.0
    open_pnl = unrealized(holding.quantity, holding.close_price, close) if close else 0.0
    return HoldingDay(quantity=holding.quantity, average_price=holding.average_price, ltp=close,
                      realized=holding.day_realized, unrealized=open_pnl)
