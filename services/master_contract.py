"""Master contract downloads: stage, validate, swap atomically; status per broker; one a day.

A download streams the plugin's `Instrument` rows into `symtoken_staging` in large batches, checks
them there (enough rows, no duplicate (symbol, exchange) or (exchange, token)), then replaces the
broker's live `symtoken` rows in ONE transaction, so readers in every process see either the whole old
contract or the whole new one. Anything that fails (the broker, the network, a bad row, validation)
keeps the previous contract, and the status row says why. Symbol ⇄ token lookups go through
services/instrument_cache.py, which notices the status `version` bump.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Iterator
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from broker.contract import BrokerPlugin, BrokerSession, Instrument
from database import db
from database.symtoken import (INSTRUMENT_COLUMNS, STATE_DOWNLOADING, STATE_ERROR, STATE_PENDING, STATE_SUCCESS,
                               MasterContractStatus, live_table, staging_table)
from utils import clock
from utils.constants import EXCHANGES, IST_ZONE
from utils.logging import get_logger
from utils.symbols import master_expiry

log = get_logger("services.master_contract")

BATCH_ROWS = 10_000
# A new list much shorter than the one in use is a truncated download, not a market change.
MIN_ROWS_RATIO = 0.5
# A "downloading" state older than this is a crashed download and may be taken over.
STALE_DOWNLOAD = timedelta(minutes=30)
PROGRESS_EVERY_SECONDS = 0.5
_REQUIRED_TEXT = ("symbol", "brsymbol", "exchange", "brexchange", "token")
_EXCHANGES = frozenset(EXCHANGES)


class ContractValidationError(ValueError):
    """The downloaded list is unusable; the message says which rule it broke."""


@dataclass(frozen=True)
class DownloadResult:
    broker: str
    state: str               # success / error / skipped / busy
    rows: int = 0
    seconds: float = 0.0
    message: str = ""


def _now() -> datetime:
    return clock.now()


def _as_utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)


# --------------------------------------------------------------------------------------- status
def status(broker: str) -> dict[str, Any]:
    """The broker's download status (read on its own connection: safe inside any unit of work)."""
    table = MasterContractStatus.__table__
    with db.engine.connect() as connection:
        row = connection.execute(select(table).where(table.c.broker == broker)).mappings().first()
    if row is None:
        return {"broker": broker, "state": STATE_PENDING, "progress": "", "rows": 0, "version": 0,
                "started_at": None, "finished_at": None, "duration_seconds": None,
                "last_success_at": None, "error": ""}
    info = dict(row)
    for name in ("started_at", "finished_at", "last_success_at"):
        info[name] = _as_utc(info[name])
    return info


def current_version(broker: str) -> int:
    table = MasterContractStatus.__table__
    with db.engine.connect() as connection:
        return connection.scalar(select(table.c.version).where(table.c.broker == broker)) or 0


def downloaded_today(broker: str, now: datetime | None = None) -> bool:
    """True when the broker's contract was loaded on the current IST calendar day."""
    last = status(broker)["last_success_at"]
    zone = ZoneInfo(IST_ZONE)
    return last is not None and last.astimezone(zone).date() == (now or _now()).astimezone(zone).date()


def _set_status(broker: str, **values: Any) -> None:
    table = MasterContractStatus.__table__
    with db.engine.begin() as connection:
        connection.execute(update(table).where(table.c.broker == broker).values(**values))


def _claim(broker: str) -> bool:
    """Mark the broker as downloading unless another process is doing it right now."""
    table = MasterContractStatus.__table__
    try:
        with db.engine.begin() as connection:
            if connection.scalar(select(table.c.broker).where(table.c.broker == broker)) is None:
                connection.execute(insert(table).values(broker=broker, state=STATE_PENDING, progress="", rows=0,
                                                        version=0, error=""))
    except IntegrityError:  # another process created the row first
        pass
    now = _now()
    with db.engine.begin() as connection:
        claimed = connection.execute(
            update(table).where(table.c.broker == broker)
            .where((table.c.state != STATE_DOWNLOADING) | (table.c.started_at < now - STALE_DOWNLOAD))
            .values(state=STATE_DOWNLOADING, progress="starting", started_at=now, finished_at=None, error=""))
    return claimed.rowcount == 1


# ------------------------------------------------------------------------------------- download
def download(broker: str, plugin: BrokerPlugin, *, force: bool = False,
             session: BrokerSession | None = None) -> DownloadResult:
    """Download, validate and install `broker`'s master contract; at most once a day unless `force`."""
    plugin.require("master_contract")
    if not force and downloaded_today(broker):
        return DownloadResult(broker, "skipped", status(broker)["rows"],
                              message="already downloaded today; use --force to download again")
    if not _claim(broker):
        return DownloadResult(broker, "busy", message="a download for this broker is already running")
    started = time.perf_counter()
    try:
        rows = stage(broker, plugin.master_contract.download(session, _progress_writer(broker)))
        validate_staging(broker)
        swap(broker, rows, time.perf_counter() - started)
    except Exception as exc:  # whatever went wrong, the previous contract stays; say why
        reason = _reason(exc)
        log.warning("master contract download for %s failed: %s", broker, reason)
        _clear_staging(broker)
        _set_status(broker, state=STATE_ERROR, progress="", error=reason, finished_at=_now(),
                    duration_seconds=round(time.perf_counter() - started, 3))
        return DownloadResult(broker, STATE_ERROR, seconds=time.perf_counter() - started, message=reason)
    seconds = time.perf_counter() - started
    log.info("master contract for %s: %d instruments in %.1fs", broker, rows, seconds)
    return DownloadResult(broker, STATE_SUCCESS, rows, seconds)


def download_in_background(app: Flask, broker: str, plugin: BrokerPlugin, *, force: bool = False,
                           session: BrokerSession | None = None) -> threading.Thread:
    """Start `download` on a daemon thread (the dashboard's button, the first connect of the day);
    progress and outcome are visible through `status(broker)` from any process."""
    def run() -> None:
        with app.app_context():
            download(broker, plugin, force=force, session=session)

    thread = threading.Thread(target=run, name=f"master-contract-{broker}", daemon=True)
    thread.start()
    return thread


def _reason(exc: Exception) -> str:
    text_ = str(exc).strip() or type(exc).__name__
    return text_ if isinstance(exc, ContractValidationError) else f"{type(exc).__name__}: {text_}"[:1000]


def _progress_writer(broker: str) -> Callable[[str], None]:
    last = [0.0]

    def progress(message: str) -> None:
        if time.monotonic() - last[0] >= PROGRESS_EVERY_SECONDS:
            last[0] = time.monotonic()
            _set_status(broker, progress=message[:255])
    return progress


ROW_COLUMNS = ("broker", *INSTRUMENT_COLUMNS)


def instrument_row(broker: str, instrument: Instrument, index: int) -> tuple:
    """The table row (values in ROW_COLUMNS order) for one instrument; raises ContractValidationError
    naming the row and the field."""
    for name in _REQUIRED_TEXT:
        if not getattr(instrument, name):
            raise ContractValidationError(f"row {index}: required column {name} is empty "
                                          f"({instrument.symbol or instrument.brsymbol!r})")
    if instrument.exchange not in _EXCHANGES:
        raise ContractValidationError(f"row {index}: exchange {instrument.exchange!r} is not one of {', '.join(EXCHANGES)}")
    if instrument.lotsize < 1:
        raise ContractValidationError(f"row {index}: lotsize must be at least 1 ({instrument.symbol})")
    return (broker, instrument.symbol, instrument.brsymbol, instrument.name or "", instrument.exchange,
            instrument.brexchange, str(instrument.token), master_expiry(instrument.expiry), instrument.expiry,
            float(instrument.strike), int(instrument.lotsize), float(instrument.tick_size),
            instrument.instrumenttype or "", instrument.freeze_qty)


def _batches(broker: str, instruments: Iterable[Instrument]) -> Iterator[list[tuple]]:
    batch: list[tuple] = []
    for index, instrument in enumerate(instruments):
        batch.append(instrument_row(broker, instrument, index))
        if len(batch) >= BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


def bulk_insert(connection: Connection, table: Any, rows: list[tuple]) -> None:
    """The fastest insert each database offers, straight through the driver: COPY on PostgreSQL,
    executemany on SQLite (SQLAlchemy's per-row parameter handling would double the cost)."""
    cursor = connection.connection.driver_connection.cursor()
    names = ", ".join(ROW_COLUMNS)
    if connection.dialect.name == "postgresql":
        with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    # dates as the ISO text SQLAlchemy's SQLite Date type reads (sqlite3's own date adapter is deprecated)
    expiry = ROW_COLUMNS.index("expiry_date")
    rows = [row if row[expiry] is None else (*row[:expiry], row[expiry].isoformat(), *row[expiry + 1:])
            for row in rows]
    cursor.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(ROW_COLUMNS))})", rows)


def stage(broker: str, instruments: Iterable[Instrument]) -> int:
    """Fill the staging table with the broker's new list; returns the row count."""
    _clear_staging(broker)
    progress = _progress_writer(broker)
    total = 0
    for batch in _batches(broker, instruments):
        # one short transaction per batch: on SQLite the status row must stay writable meanwhile
        with db.engine.begin() as connection:
            bulk_insert(connection, staging_table(), batch)
        total += len(batch)
        progress(f"{total} instruments received")
    return total


def validate_staging(broker: str) -> None:
    staging, live = staging_table(), live_table()
    with db.engine.connect() as connection:
        count = connection.scalar(select(func.count()).select_from(staging).where(staging.c.broker == broker)) or 0
        previous = connection.scalar(select(func.count()).select_from(live).where(live.c.broker == broker)) or 0
        if count == 0:
            raise ContractValidationError("the broker returned no instruments")
        if previous and count < previous * MIN_ROWS_RATIO:
            raise ContractValidationError(f"only {count} instruments received, fewer than half of the "
                                          f"{previous} in use; keeping the previous contract")
        for columns in (("symbol", "exchange"), ("exchange", "token")):
            keys = [staging.c[name] for name in columns]
            duplicate = connection.execute(
                select(*keys, func.count()).where(staging.c.broker == broker).group_by(*keys)
                .having(func.count() > 1).limit(3)).all()
            if duplicate:
                shown = ", ".join(":".join(str(v) for v in row[:-1]) for row in duplicate)
                raise ContractValidationError(f"duplicate ({', '.join(columns)}) in the downloaded list: {shown}")


def swap(broker: str, rows: int, seconds: float) -> None:
    """Replace the live rows with the staged ones and record success, in one transaction."""
    staging, live = staging_table(), live_table()
    columns = ROW_COLUMNS
    finished = _now()
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # readers keep seeing the old rows until commit; other writers of this broker wait here
            connection.execute(text("LOCK TABLE symtoken IN SHARE ROW EXCLUSIVE MODE"))
        connection.execute(delete(live).where(live.c.broker == broker))
        connection.execute(insert(live).from_select(
            columns, select(*[staging.c[name] for name in columns]).where(staging.c.broker == broker)))
        connection.execute(delete(staging).where(staging.c.broker == broker))
        status_table = MasterContractStatus.__table__
        connection.execute(update(status_table).where(status_table.c.broker == broker).values(
            state=STATE_SUCCESS, progress="", rows=rows, version=status_table.c.version + 1, error="",
            finished_at=finished, last_success_at=finished, duration_seconds=round(seconds, 3)))


def _clear_staging(broker: str) -> None:
    staging = staging_table()
    with db.engine.begin() as connection:
        connection.execute(delete(staging).where(staging.c.broker == broker))
