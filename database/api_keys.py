"""API keys: one per user, looked up by an indexed keyed digest, kept encrypted only for display.

Verification never decrypts and never loops: the request's key is digested (HMAC-SHA256 with a key
derived from API_KEY_PEPPER) and found through the unique index on `key_digest`. Rotation overwrites
the row in one transaction, so the old digest stops matching in every process at commit.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from database.core import db


class ApiKey(db.Model):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    key_digest: Mapped[str] = mapped_column(String(64), unique=True)
    key_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def for_user(user_id: int) -> ApiKey | None:
    return db.session.scalar(select(ApiKey).where(ApiKey.user_id == user_id))


def store(user_id: int, digest: str, encrypted: str, created_at: datetime) -> ApiKey:
    """Create or replace the user's key (the caller commits)."""
    row = for_user(user_id)
    if row is None:
        row = ApiKey(user_id=user_id)
        db.session.add(row)
    row.key_digest, row.key_encrypted, row.created_at = digest, encrypted, created_at
    return row


