"""State of the paper broker: accounts (funds), orders, trades, positions, holdings and a funds ledger.

Everything is per user (`user_id` → users.id) so a restart loses nothing. Every change to one user's
paper state runs in `locked_account()`: a transaction whose first statement bumps the account's
`version`, which takes the row lock on PostgreSQL and the write lock on SQLite before anything is
read, so concurrent orders of one user are applied one after another and funds cannot be corrupted.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, timezone
from typing import Iterator

from sqlalchemy import (Boolean, Date, DateTime, ForeignKey, Index, Integer, Numeric, String,
                        UniqueConstraint, delete, func, select, update)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from database.core import db

Money = Numeric(20, 4, asdecimal=False)


def _user_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


class PaperAccount(db.Model):
    __tablename__ = "paper_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    capital: Mapped[float] = mapped_column(Money)
    balance: Mapped[float] = mapped_column(Money)          # capital + realized P&L - cash paid for holdings
    realized_today: Mapped[float] = mapped_column(Money, default=0.0)
    realized_total: Mapped[float] = mapped_column(Money, default=0.0)
    trading_day: Mapped[date] = mapped_column(Date)        # the IST day the account was last settled for
    reset_count: Mapped[int] = mapped_column(Integer, default=0)
    last_reset: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=0)


class PaperOrder(db.Model):
    __tablename__ = "paper_orders"
    __table_args__ = (Index("ix_paper_orders_user_id_status", "user_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    orderid: Mapped[str] = mapped_column(String(20), unique=True)
    strategy: Mapped[str] = mapped_column(String(100), default="")
    symbol: Mapped[str] = mapped_column(String(64))
    exchange: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(4))
    quantity: Mapped[int] = mapped_column(Integer)
    price: Mapped[float] = mapped_column(Money, default=0.0)
    trigger_price: Mapped[float] = mapped_column(Money, default=0.0)
    pricetype: Mapped[str] = mapped_column(String(8))
    product: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(20))
    filled_quantity: Mapped[int] = mapped_column(Integer, default=0)
    average_price: Mapped[float] = mapped_column(Money, default=0.0)
    margin_blocked: Mapped[float] = mapped_column(Money, default=0.0)
    rejection_reason: Mapped[str] = mapped_column(String(255), default="")
    triggered: Mapped[bool] = mapped_column(Boolean, default=False)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))   # resting orders: scanned up to here
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PaperTrade(db.Model):
    __tablename__ = "paper_trades"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    tradeid: Mapped[str] = mapped_column(String(20), unique=True)
    orderid: Mapped[str] = mapped_column(String(20), index=True)
    strategy: Mapped[str] = mapped_column(String(100), default="")
    symbol: Mapped[str] = mapped_column(String(64))
    exchange: Mapped[str] = mapped_column(String(16))
    product: Mapped[str] = mapped_column(String(8))
    action: Mapped[str] = mapped_column(String(4))
    quantity: Mapped[int] = mapped_column(Integer)
    price: Mapped[float] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PaperPosition(db.Model):
    __tablename__ = "paper_positions"
    __table_args__ = (UniqueConstraint("user_id", "symbol", "exchange", "product"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    symbol: Mapped[str] = mapped_column(String(64))
    exchange: Mapped[str] = mapped_column(String(16))
    product: Mapped[str] = mapped_column(String(8))
    quantity: Mapped[int] = mapped_column(Integer, default=0)        # signed: + long, - short
    average_price: Mapped[float] = mapped_column(Money, default=0.0)
    realized_pnl: Mapped[float] = mapped_column(Money, default=0.0)  # today's
    margin_blocked: Mapped[float] = mapped_column(Money, default=0.0)
    trading_day: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PaperHolding(db.Model):
    __tablename__ = "paper_holdings"
    __table_args__ = (UniqueConstraint("user_id", "symbol", "exchange"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    symbol: Mapped[str] = mapped_column(String(64))
    exchange: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(Integer)
    average_price: Mapped[float] = mapped_column(Money)
    settled_on: Mapped[date] = mapped_column(Date)


class PaperLedgerEntry(db.Model):
    """Every movement of a paper account's balance, with the balance after it (an audit trail)."""
    __tablename__ = "paper_ledger"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    kind: Mapped[str] = mapped_column(String(24))        # reset / realized_pnl / settlement / holding_sale
    amount: Mapped[float] = mapped_column(Money)
    balance_after: Mapped[float] = mapped_column(Money)
    reference: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


USER_TABLES = (PaperOrder, PaperTrade, PaperPosition, PaperHolding, PaperLedgerEntry)


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything here is stored in UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)


def current_engine() -> Engine:
    """The app's SQLAlchemy engine (needs an app context); kept by callers that work outside one."""
    return db.engine


@contextmanager
def locked_account(user_id: int, bind: Engine | None = None) -> Iterator[Session]:
    """A transaction on its own session holding the user's paper-account lock; commits on success.

    The caller must have created the account (`ensure_account`); `session.info["account_locked"]`
    is False when it did not exist, so nothing is locked (a row committed meanwhile by someone else
    may still be visible to later reads, so check this flag, not a lookup). The session is separate
    from the request's session so that no earlier read of the request holds a snapshot that the write
    would have to upgrade (which SQLite would refuse instead of waiting).
    """
    with Session(bind or db.engine, expire_on_commit=False) as session:
        with session.begin():
            bumped = session.execute(update(PaperAccount).where(PaperAccount.user_id == user_id)
                                     .values(version=PaperAccount.version + 1))
            session.info["account_locked"] = bumped.rowcount > 0
            yield session


def ensure_account(user_id: int, capital: float, today: date, now: datetime, bind: Engine | None = None) -> None:
    """Create the user's paper account with `capital` if it does not exist yet (safe under races)."""
    bind = bind or db.engine
    with Session(bind) as session:
        if session.scalar(select(PaperAccount.id).where(PaperAccount.user_id == user_id)) is not None:
            return
    try:
        with Session(bind) as session, session.begin():
            session.add(PaperAccount(user_id=user_id, capital=capital, balance=capital, realized_today=0.0,
                                     realized_total=0.0, trading_day=today, reset_count=0, last_reset=now,
                                     version=0))
    except IntegrityError:  # another thread or process created it first: the unique user_id says so
        with Session(bind) as session:
            if session.scalar(select(PaperAccount.id).where(PaperAccount.user_id == user_id)) is None:
                raise


def wipe_user(session: Session, user_id: int) -> None:
    """Delete every order, trade, position, holding and ledger row of a user (used by reset)."""
    for model in USER_TABLES:
        session.execute(delete(model).where(model.user_id == user_id))


def users_with_resting_orders(bind: Engine | None = None) -> list[int]:
    """Users that have open or trigger-pending paper orders (for the background matcher)."""
    with Session(bind or db.engine) as session:
        rows = session.scalars(select(PaperOrder.user_id).where(
            PaperOrder.status.in_(("open", "trigger pending"))).distinct())
        return list(rows)
