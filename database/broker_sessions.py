"""Each user's broker connection: which broker, since and until when, and its tokens (encrypted).

One row per user (DESIGN.md: a user connects one broker account; all their browsers and devices share
it). Tokens are Fernet ciphertext from utils.crypto.secret_box(API_KEY_PEPPER); decryption happens in
services/broker_session.py only. Rows are kept on disconnect (state "disconnected", tokens wiped) so the
dashboard can say what happened.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Row, String, Text, bindparam, func, select
from sqlalchemy.orm import Mapped, mapped_column

from database.core import db

STATE_CONNECTED = "connected"
STATE_DISCONNECTED = "disconnected"
STATE_EXPIRED = "expired"


class BrokerConnection(db.Model):
    __tablename__ = "broker_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    broker: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    auth_token_enc: Mapped[str] = mapped_column(Text, default="")
    feed_token_enc: Mapped[str] = mapped_column(Text, default="")
    extra_enc: Mapped[str] = mapped_column(Text, default="")      # JSON of AuthResult.extra, encrypted
    broker_user_id: Mapped[str] = mapped_column(String(64), default="")
    connected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_reason: Mapped[str] = mapped_column(String(255), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                 onupdate=func.now())


LIVE_COLUMNS = (BrokerConnection.broker, BrokerConnection.state, BrokerConnection.auth_token_enc,
                BrokerConnection.feed_token_enc, BrokerConnection.extra_enc, BrokerConnection.broker_user_id,
                BrokerConnection.expires_at)
_LIVE_COLUMNS = select(*LIVE_COLUMNS).where(BrokerConnection.user_id == bindparam("uid"))


def live_columns(user_id: int) -> Row | None:
    """What every order needs of the user's connection (columns only, no entity: read per request)."""
    return db.session.connection().execute(_LIVE_COLUMNS, {"uid": user_id}).first()


def for_user(user_id: int) -> BrokerConnection | None:
    return db.session.scalar(select(BrokerConnection).where(BrokerConnection.user_id == user_id))


def users_of_account(broker: str, broker_user_id: str) -> list[int]:
    """Our users whose connection to `broker` is the broker account `broker_user_id` (for postbacks)."""
    if not broker_user_id:
        return []
    return list(db.session.scalars(select(BrokerConnection.user_id).where(
        BrokerConnection.broker == broker, BrokerConnection.broker_user_id == broker_user_id)))
