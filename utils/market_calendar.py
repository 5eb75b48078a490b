"""When each exchange trades: holidays, partial days, special sessions and regular hours, all in IST.

Used by the paper broker (is the market open? when does it open next?), the strategy scheduler and the
`/market/holidays` and `/market/timings` endpoints (API_CONTRACT.md §10.2-10.3). Every answer is computed
in Asia/Kolkata whatever the server's own time zone. Dates not in the data file follow the regular week.

Regular sessions (IST): NSE/BSE 09:15-15:30; NFO/BFO 09:15-15:40 (the contract's reference close);
CDS/BCD 09:00-17:00; MCX/NCO 09:00-23:55 while New York is on standard time (roughly November-March) and
09:00-23:30 while it is on daylight-saving time, the rule MCX applies to internationally linked
commodities (agri contracts close earlier; not modelled); CRYPTO trades 24x7.
"""
from __future__ import annotations

import threading
import time as clock
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from utils.calendar_file import CALENDAR_EXCHANGES, CLOSE, HOLIDAY_TYPES, OPEN, CalendarRow, read_rows
from utils import clock as app_clock
from utils.constants import IST_ZONE

IST = ZoneInfo(IST_ZONE)
_NEW_YORK = ZoneInfo("America/New_York")
DATA_FILE = Path(__file__).resolve().parent / "calendar_data" / "holidays.csv"
ALWAYS_OPEN = ("CRYPTO",)
Window = tuple[datetime, datetime]

_REGULAR_MINUTES = {
    "NSE": (555, 930), "BSE": (555, 930),            # 09:15-15:30
    "NFO": (555, 940), "BFO": (555, 940),            # 09:15-15:40
    "CDS": (540, 1020), "BCD": (540, 1020),          # 09:00-17:00
}
_COMMODITY = ("MCX", "NCO")
# quote-only index segments follow the exchange whose trading hours they are computed in
INDEX_EXCHANGES = {"NSE_INDEX": "NSE", "BSE_INDEX": "BSE", "MCX_INDEX": "MCX"}


def regular_minutes(exchange: str, day: date) -> tuple[int, int] | None:
    """Regular (open, close) in minutes after IST midnight on a weekday; None for 24x7 exchanges."""
    if exchange in ALWAYS_OPEN:
        return 0, 1440
    if exchange in _COMMODITY:
        noon_new_york = datetime.combine(day, time(12), _NEW_YORK)
        return 540, (1410 if noon_new_york.dst() else 1435)   # 23:30 in US summer, 23:55 otherwise
    try:
        return _REGULAR_MINUTES[exchange]
    except KeyError:
        known = ", ".join((*CALENDAR_EXCHANGES, *INDEX_EXCHANGES))
        raise ValueError(f"exchange must be one of {known}, got {exchange!r}") from None


def regular_close(exchange: str, day: date) -> time:
    """The regular close of `exchange` on `day` as an IST time of day (MCX's moves with the US season)."""
    close = regular_minutes(exchange, day)[1]
    return time(close // 60, close % 60) if close < 1440 else time(23, 59, 59)


def _at_minute(day: date, minutes: int) -> datetime:
    return datetime.combine(day, time(0), IST) + timedelta(minutes=minutes)


def _ist(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("datetime must be timezone-aware (e.g. datetime.now(IST))")
    return at.astimezone(IST)


class MarketCalendar:
    """The calendar of one data file; re-reads the file when it changes (e.g. after `calendar import`)."""

    def __init__(self, path: Path = DATA_FILE, *, recheck_seconds: float = 5.0):
        self.path = Path(path)
        self._recheck_seconds = recheck_seconds
        self._lock = threading.Lock()
        self._rows: dict[tuple[date, str], CalendarRow] = {}
        self._mtime: float | None = None
        self._checked_at = float("-inf")

    # ------------------------------------------------------------------------------- data
    def rows(self) -> dict[tuple[date, str], CalendarRow]:
        now = clock.monotonic()
        if now - self._checked_at >= self._recheck_seconds:
            with self._lock:
                self._checked_at = now
                mtime = self.path.stat().st_mtime_ns
                if mtime != self._mtime:
                    self._rows = {row.key: row for row in read_rows(self.path)}
                    self._mtime = mtime
        return self._rows

    def row(self, exchange: str, day: date) -> CalendarRow | None:
        return self.rows().get((day, exchange))

    def years(self) -> list[int]:
        return sorted({day.year for day, _ in self.rows()})

    # ------------------------------------------------------------------------------- sessions
    def sessions(self, exchange: str, day: date) -> list[Window]:
        """Trading windows of `exchange` on `day` as IST-aware (start, end) pairs, end exclusive.
        NSE_INDEX, BSE_INDEX and MCX_INDEX follow NSE, BSE and MCX."""
        exchange = INDEX_EXCHANGES.get(exchange, exchange)
        regular = regular_minutes(exchange, day)
        row = self.row(exchange, day)
        if row is not None and row.holiday_type != "SETTLEMENT_HOLIDAY":
            return [(_at_minute(day, self._minute(s, regular)), _at_minute(day, self._minute(e, regular)))
                    for s, e in row.windows]
        if day.weekday() >= 5 and exchange not in ALWAYS_OPEN:
            return []
        return [(_at_minute(day, regular[0]), _at_minute(day, regular[1]))]

    @staticmethod
    def _minute(token: str, regular: tuple[int, int]) -> int:
        if token == OPEN:
            return regular[0]
        if token == CLOSE:
            return regular[1]
        hours, minutes = token.split(":")
        return int(hours) * 60 + int(minutes)

    def is_trading_day(self, exchange: str, day: date) -> bool:
        return bool(self.sessions(exchange, day))

    def is_open(self, exchange: str, at: datetime) -> bool:
        at = _ist(at)
        return any(start <= at < end for start, end in self.sessions(exchange, at.date()))

    def next_open(self, exchange: str, at: datetime, *, horizon_days: int = 400) -> datetime | None:
        """The earliest instant at or after `at` when `exchange` trades (`at` itself when open now)."""
        at = _ist(at)
        for offset in range(horizon_days):
            for start, end in self.sessions(exchange, at.date() + timedelta(days=offset)):
                if end > at:
                    return max(start, at)
        return None

    # ------------------------------------------------------------------------------- contract shapes
    def holidays(self, year: int) -> list[dict[str, Any]]:
        """§10.2 records for `year`, sorted by date: one per (date, holiday type)."""
        grouped: dict[tuple[date, str], list[CalendarRow]] = {}
        for (day, _), row in sorted(self.rows().items(), key=lambda item: item[0][0]):
            if day.year == year:
                grouped.setdefault((day, row.holiday_type), []).append(row)
        ordered = sorted(grouped.items(), key=lambda item: (item[0][0], HOLIDAY_TYPES.index(item[0][1])))
        return [self._holiday_record(day, kind, rows) for (day, kind), rows in ordered]

    def _holiday_record(self, day: date, kind: str, rows: list[CalendarRow]) -> dict[str, Any]:
        order = {name: i for i, name in enumerate(CALENDAR_EXCHANGES)}
        rows = sorted(rows, key=lambda r: order[r.exchange])
        closed = [r.exchange for r in rows if kind == "TRADING_HOLIDAY" and not r.windows]
        # a settlement holiday lists the regular sessions: trading goes on, only settlement stops
        open_windows = [{"exchange": r.exchange, "start_time": _epoch_ms(start), "end_time": _epoch_ms(end)}
                        for r in rows if r.exchange not in closed
                        for start, end in self.sessions(r.exchange, day)]
        return {"date": day.isoformat(), "description": rows[0].description, "holiday_type": kind,
                "closed_exchanges": closed, "open_exchanges": open_windows}

    def timings(self, day: date) -> list[dict[str, Any]]:
        """§10.3 records: one per exchange window that trades on `day`. A day on which every exchange
        with a calendar is closed (a full holiday) gives [], as the contract says, even for CRYPTO."""
        scheduled = [e for e in CALENDAR_EXCHANGES if e not in ALWAYS_OPEN]
        if day.weekday() < 5 and not any(self.sessions(e, day) for e in scheduled):
            return []
        return [{"exchange": exchange, "start_time": _epoch_ms(start), "end_time": _epoch_ms(end, exchange)}
                for exchange in CALENDAR_EXCHANGES for start, end in self.sessions(exchange, day)]


def _epoch_ms(moment: datetime, exchange: str | None = None) -> int:
    millis = int(moment.timestamp() * 1000)
    # the contract shows 24x7 days ending at 23:59:59, not at the next midnight
    return millis - 1000 if exchange in ALWAYS_OPEN and moment.timetz().replace(tzinfo=None) == time(0) else millis


_default: MarketCalendar | None = None
_default_lock = threading.Lock()


def default_calendar() -> MarketCalendar:
    """The process-wide calendar over the shipped data file."""
    global _default
    with _default_lock:
        if _default is None:
            _default = MarketCalendar(DATA_FILE)
        return _default


def is_trading_day(exchange: str, day: date) -> bool:
    return default_calendar().is_trading_day(exchange, day)


def sessions(exchange: str, day: date) -> list[Window]:
    return default_calendar().sessions(exchange, day)


def is_open(exchange: str, at: datetime) -> bool:
    return default_calendar().is_open(exchange, at)


def next_open(exchange: str, at: datetime) -> datetime | None:
    return default_calendar().next_open(exchange, at)


def holidays(year: int) -> list[dict[str, Any]]:
    return default_calendar().holidays(year)


def timings(day: date) -> list[dict[str, Any]]:
    return default_calendar().timings(day)


def now_ist() -> datetime:
    return app_clock.now().astimezone(IST)
