"""Strategies (per user), their symbol mappings, and the durable queue of webhook alerts.

A strategy is addressed from outside only by its secret webhook id (stored as a digest and encrypted). Every alert a webhook accepts is
a `StrategyAlert` row committed before the webhook answers 200; workers claim rows one at a time per
strategy (`claim_next`), run them through the order services and record the outcome (`finish`). A row
claimed by a process that died is found by `stale_running` and settled by the recovery in
services/strategy_alerts.py; finished rows past their retention are deleted in batches
(`delete_finished_alerts`). Nothing here calls a broker.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, delete, func, select, update)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from database.core import db
from utils import clock

ALERT_PENDING, ALERT_RUNNING, ALERT_DONE, ALERT_FAILED = "pending", "running", "done", "failed"


class Strategy(db.Model):
    __tablename__ = "strategies"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    platform: Mapped[str] = mapped_column(String(16))          # tradingview / amibroker / chartink / python
    # The webhook id is a credential: looked up by its keyed digest (like API keys), kept encrypted so the
    # pages can show the URL again; never stored in clear.
    webhook_digest: Mapped[str] = mapped_column(String(64), unique=True)
    webhook_enc: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_intraday: Mapped[bool] = mapped_column(Boolean, default=True)
    trading_mode: Mapped[str] = mapped_column(String(8), default="LONG")   # LONG / SHORT / BOTH
    start_time: Mapped[str] = mapped_column(String(5), default="09:15")    # IST, HH:MM
    end_time: Mapped[str] = mapped_column(String(5), default="15:00")
    squareoff_time: Mapped[str] = mapped_column(String(5), default="15:15")
    default_quantity: Mapped[int] = mapped_column(Integer, default=1)      # ChartInk symbols without a mapping
    default_product: Mapped[str] = mapped_column(String(8), default="MIS")
    last_squareoff_on: Mapped[date | None] = mapped_column(Date, default=None)  # IST day of the last square-off
    lock_version: Mapped[int] = mapped_column(Integer, default=0)  # bumped to serialise alert claims
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    mappings: Mapped[list["StrategySymbol"]] = relationship(
        back_populates="strategy", cascade="all, delete-orphan", order_by="StrategySymbol.id")


class StrategySymbol(db.Model):
    __tablename__ = "strategy_symbols"
    __table_args__ = (UniqueConstraint("strategy_id", "symbol"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[int] = mapped_column(ForeignKey("strategies.id", ondelete="CASCADE"), index=True)
    symbol: Mapped[str] = mapped_column(String(64))
    exchange: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(Integer)
    product: Mapped[str] = mapped_column(String(8))

    strategy: Mapped[Strategy] = relationship(back_populates="mappings")


class StrategyAlert(db.Model):
    __tablename__ = "strategy_alerts"
    __table_args__ = (Index("ix_strategy_alerts_status_strategy", "status", "strategy_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    strategy_id: Mapped[int] = mapped_column(ForeignKey("strategies.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(16))            # tradingview / chartink / squareoff
    kind: Mapped[str] = mapped_column(String(16))              # placeorder / placesmartorder
    order_json: Mapped[str] = mapped_column(Text)              # the order request, fixed at receipt
    status: Mapped[str] = mapped_column(String(8), default=ALERT_PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(128), default=None)
    result_json: Mapped[str | None] = mapped_column(Text, default=None)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)   # retention
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class StrategyScript(db.Model):
    """A hosted Python strategy's script, schedule and run state (platform "python")."""
    __tablename__ = "strategy_scripts"

    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[int] = mapped_column(ForeignKey("strategies.id", ondelete="CASCADE"), unique=True)
    filename: Mapped[str] = mapped_column(String(100), default="strategy.py")
    code: Mapped[str] = mapped_column(Text)
    env_encrypted: Mapped[str] = mapped_column(Text, default="")    # JSON of user variables, encrypted
    run_days: Mapped[str] = mapped_column(String(32), default="mon,tue,wed,thu,fri")
    run_start: Mapped[str] = mapped_column(String(5), default="09:15")   # IST, HH:MM
    run_stop: Mapped[str] = mapped_column(String(5), default="15:30")
    cpu_seconds: Mapped[int] = mapped_column(Integer, default=3600)
    memory_mb: Mapped[int] = mapped_column(Integer, default=1024)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)      # the user pressed Start (not Stop)
    pid: Mapped[int | None] = mapped_column(Integer, default=None)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    exit_code: Mapped[int | None] = mapped_column(Integer, default=None)
    last_event: Mapped[str] = mapped_column(String(255), default="")


def _now() -> datetime:
    return clock.now()


# ------------------------------------------------------------------------------------- strategies
def by_webhook_digest(digest: str) -> Strategy | None:
    return db.session.scalar(select(Strategy).where(Strategy.webhook_digest == digest))


def for_user(user_id: int) -> list[Strategy]:
    return list(db.session.scalars(select(Strategy).where(Strategy.user_id == user_id).order_by(Strategy.id)))


def get_for_user(user_id: int, strategy_id: int) -> Strategy | None:
    return db.session.scalar(select(Strategy).where(Strategy.id == strategy_id, Strategy.user_id == user_id))


def get(strategy_id: int) -> Strategy | None:
    return db.session.get(Strategy, strategy_id)


def intraday_active() -> list[Strategy]:
    return list(db.session.scalars(select(Strategy).where(Strategy.is_active.is_(True),
                                                          Strategy.is_intraday.is_(True)).order_by(Strategy.id)))


def queue_squareoff(strategy_id: int, day: date, rows: list[dict[str, Any]]) -> bool:
    """Take `day`'s square-off of the strategy and queue its alerts, in one transaction; False when
    another scheduler (process) already took it, so a square-off is queued once per day."""
    table = Strategy.__table__
    with db.engine.begin() as connection:
        taken = connection.execute(update(table).where(
            table.c.id == strategy_id,
            (table.c.last_squareoff_on.is_(None)) | (table.c.last_squareoff_on != day),
        ).values(last_squareoff_on=day))
        if taken.rowcount != 1:
            return False
        now = _now()
        for row in rows:
            connection.execute(StrategyAlert.__table__.insert().values(
                status=ALERT_PENDING, attempts=0, received_at=now, **row))
    return True


# ----------------------------------------------------------------------------------------- alerts
def add_alerts(rows: list[dict[str, Any]]) -> list[int]:
    """Insert alerts and commit (durable before the webhook answers); returns their ids in order."""
    alerts = [StrategyAlert(status=ALERT_PENDING, attempts=0, received_at=_now(), **row) for row in rows]
    db.session.add_all(alerts)
    db.session.commit()
    return [alert.id for alert in alerts]


def pending_heads(limit: int = 20) -> list[tuple[int, int]]:
    """(strategy_id, oldest pending alert id) of strategies with pending alerts, oldest first."""
    with db.engine.connect() as connection:
        rows = connection.execute(select(StrategyAlert.strategy_id, func.min(StrategyAlert.id))
                                  .where(StrategyAlert.status == ALERT_PENDING)
                                  .group_by(StrategyAlert.strategy_id)
                                  .order_by(func.min(StrategyAlert.id)).limit(limit)).all()
    return [(row[0], row[1]) for row in rows]


def claim_next(strategy_id: int, claimant: str) -> StrategyAlert | None:
    """Claim the strategy's oldest pending alert unless one of its alerts is running (order per
    strategy). The first statement bumps the strategy's `lock_version`: the row lock on PostgreSQL and
    the write lock on SQLite, so concurrent claimers of one strategy take turns."""
    table = StrategyAlert.__table__
    with db.engine.begin() as connection:
        locked = connection.execute(update(Strategy.__table__).where(Strategy.__table__.c.id == strategy_id)
                                    .values(lock_version=Strategy.__table__.c.lock_version + 1))
        if locked.rowcount != 1:
            return None
        busy = connection.scalar(select(table.c.id).where(table.c.strategy_id == strategy_id,
                                                          table.c.status == ALERT_RUNNING).limit(1))
        if busy is not None:
            return None
        head = connection.scalar(select(func.min(table.c.id)).where(table.c.strategy_id == strategy_id,
                                                                     table.c.status == ALERT_PENDING))
        if head is None:
            return None
        connection.execute(update(table).where(table.c.id == head).values(
            status=ALERT_RUNNING, claimed_by=claimant, started_at=_now(), attempts=table.c.attempts + 1))
    return db.session.get(StrategyAlert, head, populate_existing=True)


def finish(alert_id: int, claimant: str, status: str, result_json: str) -> bool:
    """Record the outcome of a claimed alert; False when the claim was lost (recovered elsewhere)."""
    table = StrategyAlert.__table__
    with db.engine.begin() as connection:
        done = connection.execute(update(table).where(
            table.c.id == alert_id, table.c.status == ALERT_RUNNING, table.c.claimed_by == claimant,
        ).values(status=status, result_json=result_json, finished_at=_now()))
    return done.rowcount == 1


def running() -> list[StrategyAlert]:
    return list(db.session.scalars(select(StrategyAlert).where(StrategyAlert.status == ALERT_RUNNING)
                                   .order_by(StrategyAlert.id)))


def release(alert_id: int, claimant: str) -> bool:
    """Put a claimed alert back in the queue (its claimant died before placing anything)."""
    table = StrategyAlert.__table__
    with db.engine.begin() as connection:
        done = connection.execute(update(table).where(
            table.c.id == alert_id, table.c.status == ALERT_RUNNING, table.c.claimed_by == claimant,
        ).values(status=ALERT_PENDING, claimed_by=None, started_at=None))
    return done.rowcount == 1


def delete_finished_alerts(received_before: datetime, limit: int) -> int:
    """Delete up to `limit` done or failed alerts received before `received_before`, oldest first, in one
    transaction; returns how many. Pending and running alerts are never deleted, nor the newest alert:
    SQLite gives a new row max(id) + 1, so keeping it means no id, and no order tag `wh<id>`, comes back."""
    table = StrategyAlert.__table__
    with db.engine.begin() as connection:
        newest = connection.scalar(select(func.max(table.c.id)))
        ids = list(connection.scalars(select(table.c.id).where(
            table.c.received_at < received_before, table.c.status.in_((ALERT_DONE, ALERT_FAILED)),
            table.c.id < newest).order_by(table.c.id).limit(limit))) if newest is not None else []
        if ids:
            connection.execute(delete(table).where(table.c.id.in_(ids)))
    return len(ids)


def alerts_for_strategy(strategy_id: int, limit: int = 50) -> list[StrategyAlert]:
    return list(db.session.scalars(select(StrategyAlert).where(StrategyAlert.strategy_id == strategy_id)
                                   .order_by(StrategyAlert.id.desc()).limit(limit)))


def count_by_status(strategy_id: int | None = None) -> dict[str, int]:
    query = select(StrategyAlert.status, func.count()).group_by(StrategyAlert.status)
    if strategy_id is not None:
        query = query.where(StrategyAlert.strategy_id == strategy_id)
    return {status: count for status, count in db.session.execute(query).all()}


def script_for(strategy_id: int) -> StrategyScript | None:
    return db.session.scalar(select(StrategyScript).where(StrategyScript.strategy_id == strategy_id))


def all_scripts() -> list[tuple[StrategyScript, Strategy]]:
    rows = db.session.execute(select(StrategyScript, Strategy).join(Strategy, Strategy.id == StrategyScript.strategy_id)
                              .order_by(StrategyScript.id)).all()
    return [(row[0], row[1]) for row in rows]


def get_alert(alert_id: int) -> StrategyAlert | None:
    return db.session.get(StrategyAlert, alert_id, populate_existing=True)
