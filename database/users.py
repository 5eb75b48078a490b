"""Users of this installation. Everything user-owned elsewhere refers to `users.id`.

`totp_secret` holds the TOTP seed encrypted with `utils.crypto.secret_box` (never in clear);
`session_version` is copied into each browser session at login and bumped on logout and password
changes, which ends every browser session of that user at once (signed cookies cannot be recalled).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, func, select, text
from sqlalchemy.orm import Mapped, mapped_column

from database.core import db


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(255))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    totp_secret: Mapped[str | None] = mapped_column(String(255), default=None)
    session_version: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    totp_last_step: Mapped[int | None] = mapped_column(default=None)  # a TOTP code is accepted once


def find_by_username(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def get(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(User)) or 0


def admin_exists() -> bool:
    return db.session.scalar(select(User.id).where(User.is_admin.is_(True)).limit(1)) is not None
