"""History: Kite interval names, windows within the per-request limits, candle times, stitching."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from broker.candles import stitch
from broker.zerodha.history import KITE_INTERVALS, candle_values, windows
from tests.fakes.fixtures import kite_json


def test_a_long_minute_range_is_split_into_sixty_day_windows():
    parts = windows("1m", date(2025, 1, 1), date(2025, 4, 15))
    assert parts == [("2025-01-01 00:00:00", "2025-03-01 23:59:59"),
                     ("2025-03-02 00:00:00", "2025-04-15 23:59:59")]
    for start, end in parts:
        span = datetime.fromisoformat(end) - datetime.fromisoformat(start)
        assert span.days < 60


@pytest.mark.parametrize("interval, days", [("3m", 100), ("15m", 200), ("1h", 400), ("D", 2000)])
def test_each_interval_uses_its_own_limit(interval, days):
    first = windows(interval, date(2020, 1, 1), date(2026, 1, 1))[0]
    assert (datetime.fromisoformat(first[1]).date() - date(2020, 1, 1)).days == days - 1


def test_a_single_day_is_one_request():
    assert windows("5m", date(2025, 12, 30), date(2025, 12, 30)) == [("2025-12-30 00:00:00", "2025-12-30 23:59:59")]
    assert set(KITE_INTERVALS.values()) == {"minute", "3minute", "5minute", "10minute", "15minute", "30minute",
                                            "60minute", "day"}


def test_recorded_candles_become_epoch_seconds():
    first = kite_json("historical_minute.json")["data"]["candles"][0]
    assert candle_values(first, daily=False) == (1513309500, 1704.5, 1705.0, 1699.25, 1702.8, 2499, 0)
    with_oi = kite_json("historical_oi.json")["data"]["candles"][0]
    assert candle_values(with_oi, daily=False)[6] == 13667775
    # a daily bar sits at 00:00 UTC of its trading date, which the SDK shows as that date
    assert candle_values(["2025-12-30T00:00:00+0530", 1, 2, 0.5, 1.5, 10], daily=True)[0] == 1767052800


def test_stitching_sorts_and_drops_overlaps():
    a = [(2, 1, 1, 1, 1, 1, 0), (1, 1, 1, 1, 1, 1, 0)]
    b = [(2, 9, 9, 9, 9, 9, 0), (3, 1, 1, 1, 1, 1, 0)]
    assert [c[0] for c in stitch([a, b])] == [1, 2, 3] and stitch([a, b])[1][1] == 9
