"""The order journal: every order-changing request and its result, per user, written before responding.

Rows are inserted through `GroupCommitWriter` (database/group_commit.py), which batches concurrent
requests into one transaction so durability does not cost one commit per order under load.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Float, ForeignKey, Index, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column

from database.core import db


class JournalEntry(db.Model):
    __tablename__ = "order_journal"
    __table_args__ = (Index("ix_order_journal_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(36), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(32))           # placeorder, modifyorder, ...
    mode: Mapped[str] = mapped_column(String(8))              # live / analyze
    broker: Mapped[str | None] = mapped_column(String(32))
    strategy: Mapped[str | None] = mapped_column(String(255))
    request_json: Mapped[str] = mapped_column(Text)           # never holds the API key
    response_json: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))           # success / error
    http_status: Mapped[int] = mapped_column(Integer)
    orderid: Mapped[str | None] = mapped_column(String(64), index=True)
    message: Mapped[str | None] = mapped_column(Text)
    validation_ms: Mapped[float | None] = mapped_column(Float)
    broker_ms: Mapped[float | None] = mapped_column(Float)
    total_ms: Mapped[float | None] = mapped_column(Float)     # request start → journal write queued
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


def entries_for_user(user_id: int, *, limit: int = 100, offset: int = 0,
                     action: str | None = None, orderid: str | None = None, mode: str | None = None,
                     status: str | None = None, strategy: str | None = None) -> list[JournalEntry]:
    """Newest first, scoped to one user; each given filter must match exactly."""
    query = select(JournalEntry).where(JournalEntry.user_id == user_id)
    for column, value in ((JournalEntry.action, action), (JournalEntry.orderid, orderid), (JournalEntry.mode, mode),
                          (JournalEntry.status, status), (JournalEntry.strategy, strategy)):
        if value:
            query = query.where(column == value)
    query = query.order_by(JournalEntry.id.desc()).limit(limit).offset(offset)
    return list(db.session.scalars(query))


def entries_after(user_id: int, after_id: int, *, limit: int = 50) -> list[JournalEntry]:
    """The user's rows with an id above `after_id`, oldest first (the browser's event stream)."""
    query = (select(JournalEntry).where(JournalEntry.user_id == user_id, JournalEntry.id > after_id)
             .order_by(JournalEntry.id).limit(limit))
    return list(db.session.scalars(query))


def strategies_by_order(user_id: int, orderids: set[str]) -> dict[str, str]:
    """orderid → the strategy tag of the request that placed it (the books show it for any broker)."""
    if not orderids:
        return {}
    query = (select(JournalEntry.orderid, JournalEntry.strategy)
             .where(JournalEntry.user_id == user_id, JournalEntry.orderid.in_(sorted(orderids)),
                    JournalEntry.strategy.is_not(None)))
    return {orderid: strategy for orderid, strategy in db.session.execute(query) if strategy}
