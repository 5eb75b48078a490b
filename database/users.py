"""Users of this installation. Everything user-owned elsewhere refers to `users.id`."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, func, select
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


def find_by_username(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(User)) or 0
