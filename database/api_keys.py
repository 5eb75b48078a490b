"""API keys: one per user, looked up by an indexed keyed digest, kept encrypted only for display.

Verification never decrypts and never loops: the request's key is digested (HMAC-SHA256 with a key
derived from API_KEY_PEPPER) and found through the unique index on `key_digest`. Rotation overwrites
the row in one transaction, so the old digest stops matching in every process at commit.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text, bindparam, select
from sqlalchemy.orm import Mapped, mapped_column

from database.core import db
from database.users import User


class ApiKey(db.Model):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    key_digest: Mapped[str] = mapped_column(String(64), unique=True)
    key_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def for_user(user_id: int) -> ApiKey | None:
    return db.session.scalar(select(ApiKey).where(ApiKey.user_id == user_id))


# Built once: this runs on every API request, and building the statement costs as much as the query
# (bench/auth_bench.py). Executed on the session's connection, without the ORM's per-call overhead.
_OWNER_BY_DIGEST = (select(ApiKey.user_id, User.username).join(User, User.id == ApiKey.user_id)
                    .where(ApiKey.key_digest == bindparam("digest")))


def owner_by_digest(digest: str) -> tuple[int, str] | None:
    """(user_id, username) of the key with this digest; one indexed lookup, no ORM objects built."""
    row = db.session.connection().execute(_OWNER_BY_DIGEST, {"digest": digest}).first()
    return (row[0], row[1]) if row else None


def store(user_id: int, digest: str, encrypted: str, created_at: datetime) -> ApiKey:
    """Create or replace the user's key (the caller commits)."""
    row = for_user(user_id)
    if row is None:
        row = ApiKey(user_id=user_id)
        db.session.add(row)
    row.key_digest, row.key_encrypted, row.created_at = digest, encrypted, created_at
    return row


