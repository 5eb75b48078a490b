"""The sandbox's daily P&L history: one row per (user, IST trading day, symbol, exchange, product).

A paper position keeps only today's realised P&L, and the day rollover clears it, so past days'
P&L cannot be rebuilt from the paper tables. The engine writes each day's rows when it rolls the
account over to the next day (broker/paper/daybook.py), inside the same locked transaction, replacing
whatever an earlier attempt wrote for that day: writing a day twice leaves one copy. A reset of the
sandbox account starts a new account, so it deletes the history with the rest (`clear`, in the reset's
transaction).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Table, UniqueConstraint, \
    delete, func, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from database.core import db
from database.paper_tx import PaperTx

Money = Numeric(20, 4, asdecimal=False)
Quantity = Numeric(20, 4, asdecimal=False)


class PaperPnlDay(db.Model):
    __tablename__ = "paper_pnl_days"
    __table_args__ = (UniqueConstraint("user_id", "day", "symbol", "exchange", "product"),
                      Index("ix_paper_pnl_days_user_id_day", "user_id", "day"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    symbol: Mapped[str] = mapped_column(String(64))
    exchange: Mapped[str] = mapped_column(String(16))
    product: Mapped[str] = mapped_column(String(8))
    quantity: Mapped[float] = mapped_column(Quantity)        # signed, at the day's close
    average_price: Mapped[float] = mapped_column(Money)
    close_price: Mapped[float] = mapped_column(Money)        # the price the open quantity was marked to
    buy_quantity: Mapped[float] = mapped_column(Quantity)
    buy_average: Mapped[float] = mapped_column(Money)
    sell_quantity: Mapped[float] = mapped_column(Quantity)
    sell_average: Mapped[float] = mapped_column(Money)
    realized: Mapped[float] = mapped_column(Money)
    unrealized: Mapped[float] = mapped_column(Money)        # from the previous close for a carried position
    charges: Mapped[float] = mapped_column(Money)           # of the day's fills (PAPER_CHARGES)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


DAYS: Table = PaperPnlDay.__table__
_COLUMNS = ("symbol", "exchange", "product", "quantity", "average_price", "close_price", "buy_quantity",
            "buy_average", "sell_quantity", "sell_average", "realized", "unrealized", "charges")


def record_day(tx: PaperTx, user_id: int, day: date, rows: list[dict], at: datetime) -> None:
    """Replace the user's rows for `day` with `rows` (dicts with the columns above), in `tx`."""
    tx.execute(delete(DAYS).where(DAYS.c.user_id == user_id, DAYS.c.day == day))
    if rows:
        tx.execute(insert(DAYS), [{**{key: row[key] for key in _COLUMNS}, "user_id": user_id, "day": day,
                                   "recorded_at": at} for row in rows])


def clear(tx: PaperTx, user_id: int) -> None:
    """Delete the user's whole history, in `tx` (a sandbox reset)."""
    tx.execute(delete(DAYS).where(DAYS.c.user_id == user_id))


@dataclass(frozen=True)
class DayTotal:
    day: date
    realized: float
    unrealized: float
    charges: float
    symbols: int

    @property
    def total(self) -> float:
        return self.realized + self.unrealized


def day_totals(user_id: int, since: date, until: date) -> list[DayTotal]:
    """Per recorded day in [since, until], oldest first: realised and unrealised P&L summed over symbols."""
    statement = (select(DAYS.c.day, func.sum(DAYS.c.realized), func.sum(DAYS.c.unrealized), func.sum(DAYS.c.charges),
                        func.count())
                 .where(DAYS.c.user_id == user_id, DAYS.c.day >= since, DAYS.c.day <= until)
                 .group_by(DAYS.c.day).order_by(DAYS.c.day))
    with Session(db.engine) as session:
        return [DayTotal(day, float(realized or 0.0), float(open_pnl or 0.0), float(charges or 0.0), int(count))
                for day, realized, open_pnl, charges, count in session.execute(statement)]


def day_rows(user_id: int, since: date, until: date) -> list[PaperPnlDay]:
    """Every recorded symbol row in [since, until], by day then symbol."""
    statement = (select(PaperPnlDay).where(PaperPnlDay.user_id == user_id, PaperPnlDay.day >= since,
                                           PaperPnlDay.day <= until)
                 .order_by(PaperPnlDay.day, PaperPnlDay.symbol, PaperPnlDay.exchange, PaperPnlDay.product))
    with Session(db.engine) as session:
        return list(session.scalars(statement))
