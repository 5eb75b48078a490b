"""State of the paper broker: accounts (funds), orders, trades, positions, holdings and a funds ledger.

Everything is per user (`user_id` → users.id) so a restart loses nothing. Every change to one user's
paper state runs in `locked_account()`: a transaction that holds the account's row lock on
PostgreSQL (SELECT ... FOR UPDATE) and the write lock on SQLite (BEGIN IMMEDIATE) before anything is
read, so concurrent orders of one user are applied one after another and funds cannot be corrupted.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Iterator

from sqlalchemy import (Boolean, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, or_,
                        Table, UniqueConstraint, bindparam, delete, exists, func, select)
from sqlalchemy.engine import Engine
from sqlalchemy.sql import ColumnElement
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from database import driver_sql
from database.core import db, write_lock
from database.paper_tx import PaperRow, PaperTx

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
    # charges of fills (PAPER_CHARGES), paid from the balance: today's (IST) and since the last reset
    charges_today: Mapped[float] = mapped_column(Money, default=0.0, server_default="0")
    charges_total: Mapped[float] = mapped_column(Money, default=0.0, server_default="0")
    version: Mapped[int] = mapped_column(Integer, default=0)   # no longer bumped: the lock is FOR UPDATE


class PaperOrder(db.Model):
    __tablename__ = "paper_orders"
    __table_args__ = (Index("ix_paper_orders_user_id_status", "user_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    orderid: Mapped[str] = mapped_column(String(20), unique=True)
    strategy: Mapped[str] = mapped_column(String(100), default="")
    tag: Mapped[str] = mapped_column(String(20), default="", server_default="")  # the caller's reference
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
    charges: Mapped[float] = mapped_column(Money, default=0.0, server_default="0")   # PAPER_CHARGES
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
    # carried forward from the previous day: the signed quantity, the previous close it is marked
    # against today, and its unrealized P&L at that close (today's P&L starts from there)
    overnight_quantity: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    close_price: Mapped[float] = mapped_column(Money, default=0.0, server_default="0")
    carry_pnl: Mapped[float] = mapped_column(Money, default=0.0, server_default="0")
    # units of the underlying per unit of quantity (a CDS contract counted as 1 holds USD 1,000): money
    # is quantity x multiplier x price; kept with the position so it is valued the same after a restart
    # or once its contract has left the master contract (broker/paper/universe.py, "Currency")
    multiplier: Mapped[float] = mapped_column(Money, default=1.0, server_default="1")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PaperHolding(db.Model):
    __tablename__ = "paper_holdings"
    __table_args__ = (UniqueConstraint("user_id", "symbol", "exchange"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    symbol: Mapped[str] = mapped_column(String(64))
    exchange: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(Integer)          # 0: sold out today, removed at the rollover
    average_price: Mapped[float] = mapped_column(Money)
    settled_on: Mapped[date] = mapped_column(Date)
    # the day P&L of a holding counts from the previous close, as a broker's does: `close_price` is the
    # close it was last marked to (at the rollover), `day_realized` today's sales from it against that close
    close_price: Mapped[float] = mapped_column(Money, default=0.0, server_default="0")
    day_realized: Mapped[float] = mapped_column(Money, default=0.0, server_default="0")


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


class PaperGtt(db.Model):
    """A GTT trigger of the paper broker: it waits, across restarts, until the simulated price crosses a
    leg's trigger, then places that leg's order (broker/paper/gtt.py)."""
    __tablename__ = "paper_gtt"
    __table_args__ = (Index("ix_paper_gtt_user_id_status", "user_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    trigger_id: Mapped[str] = mapped_column(String(24), unique=True)
    trigger_type: Mapped[str] = mapped_column(String(8))       # SINGLE / OCO
    status: Mapped[str] = mapped_column(String(16))            # active / triggered / cancelled / expired / rejected
    strategy: Mapped[str] = mapped_column(String(100), default="")
    symbol: Mapped[str] = mapped_column(String(64))
    exchange: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(4))
    quantity: Mapped[int] = mapped_column(Integer)
    product: Mapped[str] = mapped_column(String(8))
    legs: Mapped[str] = mapped_column(Text)                    # JSON list of legs, stop-loss first
    last_price: Mapped[float] = mapped_column(Money, default=0.0)
    rejection_reason: Mapped[str] = mapped_column(String(255), default="")
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))   # prices scanned up to here
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


USER_TABLES = (PaperOrder, PaperTrade, PaperPosition, PaperHolding, PaperLedgerEntry, PaperGtt)

# The tables as SQLAlchemy Core sees them: the engine's transaction (database/paper_tx.py) uses these.
ACCOUNTS: Table = PaperAccount.__table__
ORDERS: Table = PaperOrder.__table__
TRADES: Table = PaperTrade.__table__
POSITIONS: Table = PaperPosition.__table__
HOLDINGS: Table = PaperHolding.__table__
LEDGER: Table = PaperLedgerEntry.__table__
GTTS: Table = PaperGtt.__table__
GTT_ACTIVE = "active"


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything here is stored in UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)


def current_engine() -> Engine:
    """The app's SQLAlchemy engine (needs an app context); kept by callers that work outside one."""
    return db.engine


@dataclass
class LockedAccount:
    """What `locked_account` hands out: the call's transaction, the locked account (None when the user
    has none yet, so nothing is locked) and whether the user had resting orders when the lock was taken."""
    tx: PaperTx
    account: PaperRow | None
    has_resting: bool
    has_gtt: bool = False        # an active GTT waits for its trigger


RESTING_STATUSES = ("open", "trigger pending")


def is_resting(status: Any) -> ColumnElement[bool]:
    """`status` is open or trigger pending, as two equalities: an IN list would be rendered into the SQL
    again on every execution (SQLAlchemy's expanding parameter), which cost more than the query here."""
    return or_(*(status == value for value in RESTING_STATUSES))

# Built once: the account row (locked) and the resting-orders check in one statement, so the hot path
# pays for one round trip. FOR UPDATE takes the row lock on PostgreSQL; SQLite ignores it, and its
# transaction is begun IMMEDIATE instead, which takes the write lock before anything is read.
_LOCK_AND_READ = (
    select(ACCOUNTS, exists().where(ORDERS.c.user_id == ACCOUNTS.c.user_id,
                                    is_resting(ORDERS.c.status))
           .label("has_resting"),
           exists().where(GTTS.c.user_id == ACCOUNTS.c.user_id, GTTS.c.status == GTT_ACTIVE).label("has_gtt"))
    .where(ACCOUNTS.c.user_id == bindparam("uid")).with_for_update(of=ACCOUNTS))


@contextmanager
def locked_account(user_id: int, bind: Engine | None = None) -> Iterator[LockedAccount]:
    """A transaction on its own connection holding the user's paper-account lock; writes what the call
    changed and commits on success.

    The account row is read under the row lock on PostgreSQL; on SQLite the transaction begins
    IMMEDIATE, holding the database's write lock before anything is read. The caller must have created
    the account (`ensure_account`); when it did not exist, `account` is None and nothing is locked. The
    connection is separate from the request's session so that no earlier read of the request holds a
    snapshot that the write would have to upgrade (which SQLite would refuse instead of waiting).
    On SQLite the process's writers also queue on one in-process lock (`database.core.write_lock`),
    so threads wait their turn instead of polling SQLite's busy handler.
    """
    engine = bind or db.engine
    with write_lock(engine), engine.connect() as connection, connection.begin():
        if engine.dialect.name == "sqlite":
            # straight to the driver: nothing to compile or convert, and the driver then knows it is in
            # a transaction (SQLAlchemy's begin() above emits nothing for pysqlite)
            connection.connection.driver_connection.execute("BEGIN IMMEDIATE")
        found = next(iter(driver_sql.compiled(_LOCK_AND_READ, engine.dialect).mappings(
            connection.connection, {"uid": user_id})), None)
        tx = PaperTx(connection)
        if found is None:
            yield LockedAccount(tx, None, False)
            return
        values = dict(found)
        has_resting, has_gtt = bool(values.pop("has_resting")), bool(values.pop("has_gtt"))
        yield LockedAccount(tx, tx.adopt(ACCOUNTS, values), has_resting, has_gtt)
        tx.flush()


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


def wipe_user(tx: PaperTx, user_id: int) -> None:
    """Delete every order, trade, position, holding and ledger row of a user (used by reset)."""
    for model in USER_TABLES:
        tx.execute(delete(model.__table__).where(model.__table__.c.user_id == user_id))


def users_with_resting_orders(bind: Engine | None = None) -> list[int]:
    """Users that have open or trigger-pending paper orders or active GTTs (for the background matcher)."""
    with Session(bind or db.engine) as session:
        rows = session.scalars(select(PaperOrder.user_id).where(is_resting(PaperOrder.status))
                               .union(select(PaperGtt.user_id).where(PaperGtt.status == GTT_ACTIVE)))
        return list(rows)


def open_intraday_positions(bind: Engine | None = None) -> list[tuple[int, str, datetime]]:
    """(user id, exchange, last change) of every open MIS position: the background matcher squares them
    off at their segment's time even when nobody calls the paper broker."""
    with Session(bind or db.engine) as session:
        rows = session.execute(select(PaperPosition.user_id, PaperPosition.exchange, PaperPosition.updated_at)
                               .where(PaperPosition.product == "MIS", PaperPosition.quantity != 0))
        return [(user_id, exchange, aware(updated_at)) for user_id, exchange, updated_at in rows]


def resting_instruments(bind: Engine | None = None, user_id: int | None = None) -> dict[int, set[tuple[str, str]]]:
    """user id → the (symbol, exchange) pairs their open / trigger-pending orders and active GTTs wait
    on (the instruments a live feed must stream for their sandbox); one user's when `user_id` is given."""
    orders = select(PaperOrder.user_id, PaperOrder.symbol, PaperOrder.exchange).where(is_resting(PaperOrder.status))
    gtts = select(PaperGtt.user_id, PaperGtt.symbol, PaperGtt.exchange).where(PaperGtt.status == GTT_ACTIVE)
    if user_id is not None:
        orders, gtts = orders.where(PaperOrder.user_id == user_id), gtts.where(PaperGtt.user_id == user_id)
    found: dict[int, set[tuple[str, str]]] = {}
    with Session(bind or db.engine) as session:
        for user_id, symbol, exchange in session.execute(orders.union(gtts)):
            found.setdefault(user_id, set()).add((symbol, exchange))
    return found
