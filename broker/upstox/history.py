"""Historical candles the Upstox way: v3 units and intervals, per-request range limits, chunk and stitch.

`GET /v3/historical-candle/:instrument_key/:unit/:interval/:to_date/:from_date` (docs, "Historical
Candle Data V3") takes a unit (minutes 1-300, hours 1-5, days, weeks, months) and caps the span of one
request: 1 month for 1-15 minute candles, 1 quarter for longer minute candles and for hours, 1 decade
for days, none for weeks and months. A longer range is split into consecutive windows inside the cap
(shortest month and quarter, to be safe), fetched one by one and stitched (sorted ascending, one candle
per timestamp). The current day comes from the intraday endpoint
(`/v3/historical-candle/intraday/:instrument_key/:unit/:interval`). Upstox answers newest first, with
ISO times (`2025-01-02T09:15:00+05:30`); the API contract wants epoch seconds: the true instant for
intraday bars, 00:00 UTC of the trading date for daily and longer bars (API_CONTRACT.md §6.4).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Callable
from urllib.parse import quote

from broker.contract import BrokerSession, Candle, HistoryRequest
from broker.errors import NotSupported
from broker.upstox.mapping import BROKER, IST

# unified interval → (unit, interval) of the v3 API
UPSTOX_INTERVALS: dict[str, tuple[str, int]] = {
    "1m": ("minutes", 1), "2m": ("minutes", 2), "3m": ("minutes", 3), "5m": ("minutes", 5),
    "10m": ("minutes", 10), "15m": ("minutes", 15), "20m": ("minutes", 20), "30m": ("minutes", 30),
    "1h": ("hours", 1), "2h": ("hours", 2), "3h": ("hours", 3), "4h": ("hours", 4),
    "D": ("days", 1), "W": ("weeks", 1), "M": ("months", 1)}
INTRADAY_UNITS = ("minutes", "hours", "days")
_MONTH, _QUARTER, _DECADE = timedelta(days=27), timedelta(days=88), timedelta(days=3651)


def window_span(unit: str, interval: int) -> timedelta | None:
    """The longest from..to difference one request may cover; None = no limit."""
    if unit == "minutes":
        return _MONTH if interval <= 15 else _QUARTER
    return {"hours": _QUARTER, "days": _DECADE}.get(unit)


def windows(unit: str, interval: int, start: date, end: date) -> list[tuple[date, date]]:
    """(from_date, to_date) pairs, both inclusive, covering [start, end] inside the cap."""
    span = window_span(unit, interval)
    if span is None:
        return [(start, end)]
    result, day = [], start
    while day <= end:
        last = min(end, day + span)
        result.append((day, last))
        day = last + timedelta(days=1)
    return result


def candle_from_row(row: list[Any], daily: bool) -> Candle:
    """`[time, open, high, low, close, volume, oi]` → a unified Candle."""
    moment = datetime.fromisoformat(str(row[0]))
    stamp = (int(datetime.combine(moment.date(), time.min, tzinfo=timezone.utc).timestamp()) if daily
             else int(moment.timestamp()))
    return Candle(timestamp=stamp, open=float(row[1]), high=float(row[2]), low=float(row[3]), close=float(row[4]),
                  volume=int(row[5] or 0), oi=int(row[6] or 0) if len(row) > 6 else 0)


def stitch(parts: list[list[Candle]]) -> tuple[Candle, ...]:
    """Windows' candles → one ascending series, one candle per timestamp (the later window wins)."""
    by_time = {candle.timestamp: candle for part in parts for candle in part}
    return tuple(by_time[stamp] for stamp in sorted(by_time))


def fetch_candles(client: Any, session: BrokerSession, request: HistoryRequest,
                  today: Callable[[], date] | None = None) -> tuple[tuple[Candle, ...], int]:
    """Every candle of `request`, and how many requests it took."""
    if request.interval not in UPSTOX_INTERVALS:
        raise NotSupported(f"Unsupported timeframe: {request.interval}", broker=BROKER)
    unit, interval = UPSTOX_INTERVALS[request.interval]
    daily = unit not in ("minutes", "hours")
    key = quote(request.instrument.token, safe="")
    current = (today or (lambda: datetime.now(IST).date()))()
    parts: list[list[Candle]] = []
    last_day = min(request.end, current - timedelta(days=1)) if unit in INTRADAY_UNITS else request.end
    if request.start <= last_day:
        for first, last in windows(unit, interval, request.start, last_day):
            data = client.call("GET", f"/v3/historical-candle/{key}/{unit}/{interval}/{last}/{first}", session,
                               bucket="history") or {}
            parts.append([candle_from_row(row, daily) for row in data.get("candles") or []])
    if unit in INTRADAY_UNITS and request.start <= current <= request.end:
        data = client.call("GET", f"/v3/historical-candle/intraday/{key}/{unit}/{interval}", session,
                           bucket="history") or {}
        parts.append([candle_from_row(row, daily) for row in data.get("candles") or []])
    return stitch(parts), len(parts)
