"""Per-user settings as named JSON values (analyzer mode, preferences, ...), one row per name."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text, UniqueConstraint, bindparam, select
from sqlalchemy.orm import Mapped, mapped_column

from database.core import db


class UserSetting(db.Model):
    __tablename__ = "user_settings"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)  # JSON
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


_VALUE_OF = select(UserSetting.value).where(UserSetting.user_id == bindparam("uid"), UserSetting.name == bindparam("name"))


def value_of(user_id: int, name: str) -> str | None:
    """The stored JSON text of one setting (read on every order: one column, no entity)."""
    return db.session.connection().execute(_VALUE_OF, {"uid": user_id, "name": name}).scalar()


def find(user_id: int, name: str) -> UserSetting | None:
    return db.session.scalar(select(UserSetting).where(UserSetting.user_id == user_id, UserSetting.name == name))


def all_for_user(user_id: int) -> list[UserSetting]:
    return list(db.session.scalars(select(UserSetting).where(UserSetting.user_id == user_id)
                                   .order_by(UserSetting.name)))


def put(user_id: int, name: str, value: str, updated_at: datetime) -> None:
    row = find(user_id, name)
    if row is None:
        row = UserSetting(user_id=user_id, name=name)
        db.session.add(row)
    row.value, row.updated_at = value, updated_at
