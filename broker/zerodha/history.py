"""Historical candles the Kite way: interval names, per-request range limits, chunking and stitching.

Kite Connect v3 (`GET /instruments/historical/:instrument_token/:interval?from=&to=&oi=1`) caps how many
days one request may span, per interval (minute 60, 3/5/10minute 100, 15/30minute 200, 60minute 400,
day 2000). A longer range is split into consecutive windows that respect the cap, fetched one by one and
stitched back (sorted, duplicates dropped). Candle times arrive as `2017-12-15T09:15:00+0530`; the API
contract wants epoch seconds: the true instant for intraday bars, 00:00 UTC of the trading date for
daily bars (API_CONTRACT.md §6.4).
"""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Any

from broker.candles import day_windows
from broker.zerodha.mapping import parse_kite_time

# unified interval → Kite's name
KITE_INTERVALS = {"1m": "minute", "3m": "3minute", "5m": "5minute", "10m": "10minute", "15m": "15minute",
                  "30m": "30minute", "1h": "60minute", "D": "day"}
RANGE_LIMIT_DAYS = {"minute": 60, "3minute": 100, "5minute": 100, "10minute": 100, "15minute": 200,
                    "30minute": 200, "60minute": 400, "day": 2000}
KITE_DATETIME = "%Y-%m-%d %H:%M:%S"


def windows(interval: str, start: date, end: date) -> list[tuple[str, str]]:
    """`from` / `to` parameters (IST wall-clock text) covering [start, end] in windows Kite accepts."""
    return [(datetime.combine(first, time.min).strftime(KITE_DATETIME),
             datetime.combine(last, time(23, 59, 59)).strftime(KITE_DATETIME))
            for first, last in day_windows(start, end, RANGE_LIMIT_DAYS[KITE_INTERVALS[interval]])]


def candle_epoch(text: str, daily: bool) -> int:
    moment = parse_kite_time(text)
    if moment is None:
        raise ValueError(f"unreadable candle time {text!r}")
    if daily:
        return int(datetime.combine(moment.date(), time.min, tzinfo=timezone.utc).timestamp())
    return int(moment.timestamp())


def candle_values(row: list[Any], daily: bool) -> tuple[int, float, float, float, float, int, int]:
    """`[time, open, high, low, close, volume(, oi)]` → (epoch, open, high, low, close, volume, oi)."""
    oi = int(row[6]) if len(row) > 6 else 0
    return (candle_epoch(row[0], daily), float(row[1]), float(row[2]), float(row[3]), float(row[4]),
            int(row[5]), oi)
