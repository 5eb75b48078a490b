"""When the broker plugins place an order as an after-market order (broker/sessions.py): weekends, the
exchange's holidays, outside its session (special sessions included), and MCX's close moving with the US
season. The days are the shipped market calendar's (utils/calendar_data/holidays.csv)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from broker.sessions import after_market
from utils.market_calendar import IST


@pytest.mark.parametrize("exchange, moment, amo", [
    ("MCX", datetime(2026, 1, 27, 23, 40, tzinfo=IST), False),   # MCX open until 23:55 in the US winter
    ("MCX", datetime(2026, 7, 17, 23, 40, tzinfo=IST), True),    # and until 23:30 in the US summer
    ("MCX", datetime(2026, 7, 17, 23, 20, tzinfo=IST), False),
    ("MCX", datetime(2026, 1, 27, 23, 56, tzinfo=IST), True),
    ("MCX", datetime(2026, 1, 27, 8, 59, tzinfo=IST), True),
    ("NSE", datetime(2026, 11, 24, 10, 0, tzinfo=IST), True),    # Prakash Gurpurb: an NSE holiday
    ("NFO", datetime(2026, 11, 24, 10, 0, tzinfo=IST), True),
    ("NSE", datetime(2026, 11, 25, 10, 0, tzinfo=IST), False),
    ("NSE", datetime(2026, 11, 25, 9, 14, tzinfo=IST), True),
    ("NFO", datetime(2026, 11, 25, 15, 35, tzinfo=IST), True),   # F&O takes no regular order after 15:30
    ("CDS", datetime(2026, 11, 25, 16, 30, tzinfo=IST), False),
    ("BCD", datetime(2026, 11, 25, 17, 1, tzinfo=IST), True),
    ("NSE", datetime(2026, 11, 28, 10, 0, tzinfo=IST), True),    # a Saturday
    ("NSE", datetime(2026, 2, 1, 10, 0, tzinfo=IST), False),     # the Sunday Union Budget session
    ("NFO", datetime(2026, 2, 1, 15, 29, tzinfo=IST), False),
    ("NSE", datetime(2026, 2, 1, 15, 31, tzinfo=IST), True)])
def test_after_market_follows_the_exchanges_calendar(exchange, moment, amo):
    assert after_market(exchange, moment) is amo


def test_the_same_instant_in_another_time_zone_gives_the_same_answer():
    moment = datetime(2026, 11, 25, 10, 0, tzinfo=IST)
    assert after_market("NSE", moment.astimezone(timezone.utc)) is False
    assert after_market("MCX", datetime(2026, 1, 27, 18, 10, tzinfo=timezone.utc)) is False   # 23:40 IST
