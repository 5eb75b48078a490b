"""The master contract: every broker's instrument list in the unified format, and its download status.

`symtoken` holds the live rows of each broker (column `broker`), indexed for the three lookups services
make: (symbol, exchange), (brsymbol, brexchange) and token. A download first fills
`symtoken_staging`, is validated there, then replaces the broker's live rows in one transaction
(services/master_contract.py). `master_contract_status` has one row per broker: state, progress, row
count, timings, the last error, and `version`, bumped on every swap so each process can tell cheaply
that its lookup cache is stale.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Float, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from database.core import db

STATE_PENDING = "pending"
STATE_DOWNLOADING = "downloading"
STATE_SUCCESS = "success"
STATE_ERROR = "error"


class _InstrumentColumns:
    broker: Mapped[str] = mapped_column(String(32))
    symbol: Mapped[str] = mapped_column(String(64))
    brsymbol: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(128), default="")
    exchange: Mapped[str] = mapped_column(String(16))
    brexchange: Mapped[str] = mapped_column(String(16))
    token: Mapped[str] = mapped_column(String(64))
    expiry: Mapped[str] = mapped_column(String(9), default="")     # DD-MMM-YY as the API shows it
    expiry_date: Mapped[date | None] = mapped_column(Date)           # the same, for sorting and filtering
    strike: Mapped[float] = mapped_column(Float, default=0.0)
    lotsize: Mapped[int] = mapped_column(Integer, default=1)
    tick_size: Mapped[float] = mapped_column(Float, default=0.05)
    instrumenttype: Mapped[str] = mapped_column(String(16), default="")
    freeze_qty: Mapped[int | None] = mapped_column(Integer)


class SymToken(_InstrumentColumns, db.Model):
    __tablename__ = "symtoken"
    __table_args__ = (
        UniqueConstraint("broker", "symbol", "exchange"),
        Index("ix_symtoken_broker_brsymbol_brexchange", "broker", "brsymbol", "brexchange"),
        Index("ix_symtoken_broker_token", "broker", "token"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)


class SymTokenStaging(_InstrumentColumns, db.Model):
    __tablename__ = "symtoken_staging"
    __table_args__ = (Index("ix_symtoken_staging_broker", "broker"),)

    id: Mapped[int] = mapped_column(primary_key=True)


class MasterContractStatus(db.Model):
    __tablename__ = "master_contract_status"

    broker: Mapped[str] = mapped_column(String(32), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default=STATE_PENDING)
    progress: Mapped[str] = mapped_column(String(255), default="")
    rows: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str] = mapped_column(Text, default="")


INSTRUMENT_COLUMNS = ("symbol", "brsymbol", "name", "exchange", "brexchange", "token", "expiry",
                      "expiry_date", "strike", "lotsize", "tick_size", "instrumenttype", "freeze_qty")


def live_table() -> Table:
    return SymToken.__table__


def staging_table() -> Table:
    return SymTokenStaging.__table__
