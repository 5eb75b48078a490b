"""Dhan's charts: interval names, the intraday range limit, chunking, and the column-array answers.

DhanHQ v2 "Historical Data": `POST /charts/intraday` takes `interval` 1 / 5 / 15 / 25 / 60 minutes and
`fromDate` / `toDate` as `YYYY-MM-DD HH:MM:SS` (IST), at most 90 days per request; `POST
/charts/historical` gives daily bars from `fromDate` up to `toDate` (not included), back to the
instrument's listing. Both answer column arrays `{"open": [...], "high": [...], "low": [...], "close":
[...], "volume": [...], "timestamp": [...]}` (+ `open_interest` with `"oi": true`). Intraday timestamps
are the bar's true instant (epoch seconds); daily ones are 00:00 IST of the trading day, which the API
contract wants as 00:00 UTC of that date (API_CONTRACT.md §6.4). 25-minute bars exist at Dhan but are
not an OpenAlgo interval, so they are not offered.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from broker.candles import day_windows
from broker.dhan.mapping import IST

# unified interval → Dhan's minutes (None: the daily endpoint)
DHAN_INTERVALS: dict[str, int | None] = {"1m": 1, "5m": 5, "15m": 15, "1h": 60, "D": None}
INTRADAY_RANGE_DAYS = 90
DHAN_DATETIME = "%Y-%m-%d %H:%M:%S"
CandleValues = tuple[int, float, float, float, float, int, int]


def intraday_windows(start: date, end: date) -> list[tuple[str, str]]:
    """`fromDate` / `toDate` covering [start, end] (whole days) in windows under Dhan's 90-day limit."""
    return [(datetime.combine(first, time.min).strftime(DHAN_DATETIME),
             datetime.combine(last, time(23, 59, 59)).strftime(DHAN_DATETIME))
            for first, last in day_windows(start, end, INTRADAY_RANGE_DAYS)]


def daily_range(start: date, end: date) -> tuple[str, str]:
    """The daily endpoint's `toDate` is exclusive: ask for the day after `end`."""
    return start.isoformat(), (end + timedelta(days=1)).isoformat()


def _daily_epoch(stamp: int) -> int:
    trading_day = datetime.fromtimestamp(stamp, IST).date()
    return int(datetime.combine(trading_day, time.min, tzinfo=timezone.utc).timestamp())


def candles_from_columns(answer: dict[str, Any] | None, daily: bool) -> list[CandleValues]:
    """Column arrays → (epoch, open, high, low, close, volume, oi) rows; unequal columns are cut to the
    shortest (a half-written answer never shifts values between bars)."""
    if not answer:
        return []
    stamps = answer.get("timestamp") or []
    columns = [answer.get(name) or [] for name in ("open", "high", "low", "close", "volume")]
    interest = answer.get("open_interest") or []
    rows = []
    for index in range(min(len(stamps), *(len(c) for c in columns))):
        stamp = int(stamps[index])
        rows.append((_daily_epoch(stamp) if daily else stamp, float(columns[0][index]), float(columns[1][index]),
                     float(columns[2][index]), float(columns[3][index]), int(columns[4][index] or 0),
                     int(interest[index] or 0) if index < len(interest) else 0))
    return rows
