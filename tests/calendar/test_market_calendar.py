"""Market calendar: the shipped 2026 data, sessions per exchange, IST regardless of the server zone."""
from __future__ import annotations

import os
import time
from datetime import date, datetime, timedelta, timezone

import pytest

from utils import market_calendar as mc
from utils.calendar_file import CALENDAR_EXCHANGES, read_rows
from utils.market_calendar import IST, MarketCalendar


def ist(*args: int) -> datetime:
    return datetime(*args, tzinfo=IST)


@pytest.fixture(scope="module")
def cal() -> MarketCalendar:
    return MarketCalendar(mc.DATA_FILE)


def test_shipped_file_is_valid_and_covers_2026():
    rows = read_rows(mc.DATA_FILE)
    assert {row.day.year for row in rows} == {2026}
    assert {row.exchange for row in rows} <= set(CALENDAR_EXCHANGES)


@pytest.mark.parametrize("day", ["2026-01-26", "2026-03-03", "2026-03-26", "2026-03-31", "2026-04-03",
                                 "2026-04-14", "2026-05-01", "2026-05-28", "2026-06-26", "2026-09-14",
                                 "2026-10-02", "2026-10-20", "2026-11-10", "2026-11-24", "2026-12-25",
                                 "2026-01-15"])
def test_published_nse_trading_holidays_close_equity_and_fno(cal: MarketCalendar, day: str):
    for exchange in ("NSE", "BSE", "NFO", "BFO", "CDS", "BCD"):
        assert not cal.is_trading_day(exchange, date.fromisoformat(day)), exchange


def test_regular_weekday_sessions_per_exchange(cal: MarketCalendar):
    day = date(2026, 1, 6)  # a Tuesday in January: New York on standard time
    expected = {"NSE": (9, 15, 15, 30), "BSE": (9, 15, 15, 30), "NFO": (9, 15, 15, 40), "BFO": (9, 15, 15, 40),
                "CDS": (9, 0, 17, 0), "BCD": (9, 0, 17, 0), "MCX": (9, 0, 23, 55), "NCO": (9, 0, 23, 55)}
    for exchange, (h1, m1, h2, m2) in expected.items():
        assert cal.sessions(exchange, day) == [(ist(2026, 1, 6, h1, m1), ist(2026, 1, 6, h2, m2))], exchange


def test_mcx_closes_at_2330_while_new_york_is_on_summer_time(cal: MarketCalendar):
    assert cal.sessions("MCX", date(2026, 7, 7))[0][1] == ist(2026, 7, 7, 23, 30)
    assert cal.sessions("MCX", date(2026, 3, 6))[0][1] == ist(2026, 3, 6, 23, 55)   # US DST starts 8 Mar
    assert cal.sessions("MCX", date(2026, 3, 9))[0][1] == ist(2026, 3, 9, 23, 30)


def test_mcx_evening_session_on_holi_matches_the_contract_example(cal: MarketCalendar):
    assert cal.sessions("MCX", date(2026, 3, 3)) == [(ist(2026, 3, 3, 17, 0), ist(2026, 3, 3, 23, 55))]
    assert cal.is_open("MCX", ist(2026, 3, 3, 18, 0))
    assert not cal.is_open("MCX", ist(2026, 3, 3, 10, 0))
    holi = next(r for r in cal.holidays(2026) if r["date"] == "2026-03-03")
    assert holi["closed_exchanges"] == ["NSE", "BSE", "NFO", "BFO", "CDS", "BCD"]
    assert {"exchange": "MCX", "start_time": 1772537400000, "end_time": 1772562300000} in holi["open_exchanges"]


def test_new_year_day_mcx_morning_only(cal: MarketCalendar):
    assert cal.sessions("MCX", date(2026, 1, 1)) == [(ist(2026, 1, 1, 9, 0), ist(2026, 1, 1, 17, 0))]
    assert cal.is_trading_day("NSE", date(2026, 1, 1))


def test_settlement_holiday_trades_normally_but_currency_is_closed(cal: MarketCalendar):
    day = date(2026, 2, 19)
    assert cal.is_open("NSE", ist(2026, 2, 19, 10, 0))
    assert not cal.is_trading_day("CDS", day)
    kinds = {r["holiday_type"]: r for r in cal.holidays(2026) if r["date"] == "2026-02-19"}
    assert kinds["TRADING_HOLIDAY"]["closed_exchanges"] == ["CDS", "BCD"]
    assert kinds["SETTLEMENT_HOLIDAY"]["closed_exchanges"] == []
    assert "NSE" in {w["exchange"] for w in kinds["SETTLEMENT_HOLIDAY"]["open_exchanges"]}


def test_budget_sunday_special_session(cal: MarketCalendar):
    sunday = date(2026, 2, 1)
    assert cal.sessions("NSE", sunday) == [(ist(2026, 2, 1, 9, 15), ist(2026, 2, 1, 15, 30))]
    assert cal.sessions("MCX", sunday) == [(ist(2026, 2, 1, 9, 0), ist(2026, 2, 1, 17, 0))]
    assert not cal.is_trading_day("CDS", sunday)
    record = next(r for r in cal.holidays(2026) if r["date"] == "2026-02-01")
    assert record["holiday_type"] == "SPECIAL_SESSION"


def test_weekends_closed_except_crypto(cal: MarketCalendar):
    saturday = date(2026, 1, 3)
    assert not cal.is_trading_day("NSE", saturday)
    assert cal.is_open("CRYPTO", ist(2026, 1, 3, 23, 59, 59))
    assert cal.timings(saturday) == [{"exchange": "CRYPTO", "start_time": 1767378600000, "end_time": 1767464999000}]


def test_timings_match_contract_example_and_full_holiday_is_empty(cal: MarketCalendar):
    by_exchange = {t["exchange"]: t for t in cal.timings(date(2025, 12, 30))}
    assert by_exchange["NSE"] == {"exchange": "NSE", "start_time": 1767066300000, "end_time": 1767088800000}
    assert by_exchange["NFO"]["end_time"] == 1767089400000
    assert by_exchange["MCX"] == {"exchange": "MCX", "start_time": 1767065400000, "end_time": 1767119100000}
    assert cal.timings(date(2026, 1, 26)) == []


def test_holidays_are_sorted_and_shaped_for_the_contract(cal: MarketCalendar):
    records = cal.holidays(2026)
    assert [r["date"] for r in records] == sorted(r["date"] for r in records)
    for record in records:
        assert set(record) == {"date", "description", "holiday_type", "closed_exchanges", "open_exchanges"}
    assert cal.holidays(2027) == []   # not published yet: see the data file header


def test_next_open_skips_weekend_and_holiday(cal: MarketCalendar):
    # Friday 23 Jan 2026 after the close → Monday 26 Jan is Republic Day → Tuesday 27 Jan 09:15
    assert cal.next_open("NSE", ist(2026, 1, 23, 16, 0)) == ist(2026, 1, 27, 9, 15)
    open_now = ist(2026, 1, 27, 10, 0)
    assert cal.next_open("NSE", open_now) == open_now
    # Holi morning: MCX opens for the evening session the same day
    assert cal.next_open("MCX", ist(2026, 3, 3, 8, 0)) == ist(2026, 3, 3, 17, 0)


def test_answers_are_in_ist_whatever_the_server_zone(cal: MarketCalendar, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    try:
        # 04:00 UTC is 09:30 IST: open, although it is the previous evening in Los Angeles
        assert cal.is_open("NSE", datetime(2026, 1, 27, 4, 0, tzinfo=timezone.utc))
        assert cal.timings(date(2025, 12, 30))[0]["start_time"] == 1767066300000
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_naive_datetimes_are_refused(cal: MarketCalendar):
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.is_open("NSE", datetime(2026, 1, 27, 10, 0))


def test_unknown_exchange_is_refused(cal: MarketCalendar):
    with pytest.raises(ValueError, match="exchange must be one of"):
        cal.sessions("NASDAQ", date(2026, 1, 27))


def test_module_functions_use_the_shipped_calendar():
    assert not mc.is_trading_day("NSE", date(2026, 12, 25))
    assert mc.sessions("NSE", date(2026, 12, 24))
    assert mc.is_open("NSE", ist(2026, 12, 24, 12, 0))
    assert mc.next_open("NSE", ist(2026, 12, 25, 12, 0)) == ist(2026, 12, 28, 9, 15)
    assert mc.holidays(2026) and mc.timings(date(2026, 12, 24))


def test_calendar_rereads_a_changed_file(tmp_path):
    path = tmp_path / "cal.csv"
    path.write_text("date,exchange,holiday_type,description,open_windows\n")
    cal = MarketCalendar(path, recheck_seconds=0)
    assert cal.is_trading_day("NSE", date(2027, 1, 26))
    path.write_text("date,exchange,holiday_type,description,open_windows\n"
                    "2027-01-26,NSE,TRADING_HOLIDAY,Republic Day,\n")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert not cal.is_trading_day("NSE", date(2027, 1, 26))
    assert cal.years() == [2027]


def test_every_weekday_of_2026_has_an_answer_for_every_exchange(cal: MarketCalendar):
    day = date(2026, 1, 1)
    while day.year == 2026:
        for exchange in CALENDAR_EXCHANGES:
            for start, end in cal.sessions(exchange, day):
                assert start < end and start.date() == day
        day += timedelta(days=1)


def test_index_segments_follow_their_exchange(cal: MarketCalendar):
    assert cal.sessions("NSE_INDEX", date(2026, 1, 6)) == cal.sessions("NSE", date(2026, 1, 6))
    assert not cal.is_trading_day("BSE_INDEX", date(2026, 1, 26))
    assert cal.is_open("MCX_INDEX", ist(2026, 3, 3, 18, 0))
