"""Chunk-and-stitch for historical candles, shared by every plugin whose broker caps the days one request
may span: split [start, end] into consecutive day windows of at most `span_days`, fetch each, and stitch
the answers back into one ascending series with one candle per timestamp."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Iterable, Sequence, TypeVar

CandleRow = TypeVar("CandleRow", bound=Sequence)


def day_windows(start: date, end: date, span_days: int) -> list[tuple[date, date]]:
    """(first day, last day) pairs, both inclusive, covering [start, end] without gap or overlap."""
    span = timedelta(days=span_days)
    result, day = [], start
    while day <= end:
        last = min(end, day + span - timedelta(days=1))
        result.append((day, last))
        day = last + timedelta(days=1)
    return result


def stitch(parts: Iterable[Iterable[CandleRow]]) -> list[CandleRow]:
    """Windows' candles (timestamp first) → one ascending series, one per timestamp (the later window wins)."""
    by_time: dict = {}
    for part in parts:
        for candle in part:
            by_time[candle[0]] = candle
    return [by_time[key] for key in sorted(by_time)]
