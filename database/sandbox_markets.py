"""Which users' sandbox (analyzer mode) runs on a connected live broker's market, kept across restarts.

A row means: this user's paper orders, positions and GTTs live on that broker's market (its quotes and
streamed ticks), so the simulated market's matcher leaves them alone and the WebSocket proxy streams
the instruments their resting orders wait on. No row: the simulated market (`broker=paper` users, and
analyzer users without a live broker or with market=simulated). Written by services/order_target.py
whenever the market a user's sandbox runs on changes; read at start-up and by the background matchers.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, bindparam, delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from database.core import db


class SandboxMarket(db.Model):
    __tablename__ = "sandbox_markets"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    broker: Mapped[str] = mapped_column(String(32))        # the live broker whose market the sandbox uses
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


_BROKER_OF = select(SandboxMarket.broker).where(SandboxMarket.user_id == bindparam("uid"))


def live_broker_of(user_id: int) -> str | None:
    """The live broker the user's sandbox runs on, or None (the simulated market)."""
    return db.session.connection().execute(_BROKER_OF, {"uid": user_id}).scalar()


def set_live_broker(user_id: int, broker: str | None, at: datetime) -> None:
    """Record the user's sandbox market (None: the simulated one); the caller commits."""
    row = db.session.get(SandboxMarket, user_id)
    if broker is None:
        if row is not None:
            db.session.execute(delete(SandboxMarket).where(SandboxMarket.user_id == user_id))
        return
    if row is None:
        db.session.add(SandboxMarket(user_id=user_id, broker=broker, updated_at=at))
    else:
        row.broker, row.updated_at = broker, at


def live_market_users(bind: Engine | None = None) -> dict[int, str]:
    """user id → live broker, for every user whose sandbox runs on a live market (usable outside an app
    context with `bind`, as the background matchers do)."""
    with Session(bind or db.engine) as session:
        return {user_id: broker for user_id, broker in session.execute(select(SandboxMarket.user_id, SandboxMarket.broker))}
