"""Security audit log: one row per event, owned by a user, newest first when read."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from database.core import db


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_user_id_id", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(40))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))
    details: Mapped[str | None] = mapped_column(Text)  # JSON object, already free of secrets
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def add(event: AuditEvent) -> None:
    db.session.add(event)


def for_user(user_id: int, limit: int, before_id: int | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.user_id == user_id)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    return list(db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)))
