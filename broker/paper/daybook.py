"""The paper account's day-close record: before the day rollover clears each position's realised P&L
(housekeeping.settle_new_day), the day that ends is written to the P&L history (database/paper_pnl.py),
one row per (symbol, exchange, product) that was traded or held: bought and sold quantities and
averages and the charges of the day's fills, the day's realised P&L from the position, and the open
quantity marked to the close the next day's carry-forward marks it against. A position carried into
the day counts from the previous close (its `carry_pnl`, the P&L it had there, is not the day's), so
the recorded days add up to the account's P&L.

It runs in the engine call's locked transaction, at most once per day per account (the rollover only
happens when the account's trading day is behind), and rewriting a day replaces that day's rows.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable

from sqlalchemy import bindparam, select

from broker.paper.calendar import IST
from broker.paper.fills import positions_of
from database.paper import TRADES
from database.paper_pnl import record_day
from database.paper_tx import PaperRow, PaperTx
from utils.day_pnl import Fill, side_totals, unrealized

CloseOf = Callable[[str, str], "float | None"]   # (symbol, exchange) → the day's closing price, if known

_TRADES_BETWEEN = (select(TRADES).where(TRADES.c.user_id == bindparam("uid"), TRADES.c.created_at >= bindparam("start"),
                                        TRADES.c.created_at < bindparam("end")).order_by(TRADES.c.id))


def close_day(tx: PaperTx, account: PaperRow, today: date, now: datetime, close_of: CloseOf) -> None:
    """Record the account's trading day that ends, when `today` is past it (else nothing to do)."""
    day = account.trading_day
    if day >= today:
        return
    rows = day_rows(tx, account.user_id, day, close_of)
    record_day(tx, account.user_id, day, rows, now)


def day_rows(tx: PaperTx, user_id: int, day: date, close_of: CloseOf) -> list[dict]:
    start = datetime.combine(day, time(0, 0), tzinfo=IST).astimezone(timezone.utc)   # stored in UTC
    fills: dict[tuple[str, str, str], list[Fill]] = defaultdict(list)
    charges: dict[tuple[str, str, str], float] = defaultdict(float)
    for trade in tx.rows(TRADES, _TRADES_BETWEEN, {"uid": user_id, "start": start, "end": start + timedelta(days=1)}):
        key = (trade.symbol, trade.exchange, trade.product)
        fills[key].append(Fill(trade.action, trade.quantity, trade.price))
        charges[key] += trade.charges or 0.0
    positions = {(p.symbol, p.exchange, p.product): p for p in positions_of(tx)}
    rows = []
    for key in sorted(set(fills) | set(positions)):
        position = positions.get(key)
        quantity = position.quantity if position is not None else 0
        realized = position.realized_pnl if position is not None else 0.0
        if not fills[key] and not quantity and not realized:   # nothing happened to it that day
            continue
        average = position.average_price if position is not None else 0.0
        close = (close_of(key[0], key[1]) if quantity else None) or 0.0
        carried = position.carry_pnl if position is not None else 0.0
        # no price known for an open quantity: counted as unchanged since the previous close
        open_pnl = 0.0 if quantity and not close else unrealized(quantity, average, close) - carried
        sides = side_totals(fills[key])
        rows.append({"symbol": key[0], "exchange": key[1], "product": key[2], "quantity": quantity,
                     "average_price": average, "close_price": close, "buy_quantity": sides.buy_quantity,
                     "buy_average": round(sides.buy_average, 4), "sell_quantity": sides.sell_quantity,
                     "sell_average": round(sides.sell_average, 4), "realized": round(realized, 4),
                     "unrealized": round(open_pnl, 4), "charges": round(charges[key], 4)})
    return rows
