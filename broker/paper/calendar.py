"""Trading days and session hours as the paper broker sees them.

The project's market calendar (`utils.market_calendar`, written separately) is used when it exists.
Until then a small built-in fallback applies: weekends and a few fixed-date national holidays
(26 Jan, 15 Aug, 2 Oct, 25 Dec) are closed; NSE/BSE/NFO/BFO trade 09:15-15:30 IST and MCX 09:00-23:30
IST. Festival holidays that move every year are not in the fallback.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from utils.constants import IST_ZONE

IST = ZoneInfo(IST_ZONE)
FIXED_HOLIDAYS = ((1, 26), (8, 15), (10, 2), (12, 25))
EQUITY_HOURS = (time(9, 15), time(15, 30))
COMMODITY_HOURS = (time(9, 0), time(23, 30))
COMMODITY_EXCHANGES = ("MCX", "NCDEX", "NCO")

try:  # prefer the shared calendar once it lands
    from utils import market_calendar as _shared_calendar  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on what is merged
    _shared_calendar = None


def ist_now(now: datetime) -> datetime:
    return now.astimezone(IST)


def is_trading_day(day: date) -> bool:
    if day.weekday() >= 5:
        return False
    return (day.month, day.day) not in FIXED_HOLIDAYS


def previous_trading_day(day: date) -> date:
    """`day` itself when it is a trading day, else the closest trading day before it."""
    while not is_trading_day(day):
        day -= timedelta(days=1)
    return day


def session_hours(exchange: str) -> tuple[time, time]:
    return COMMODITY_HOURS if exchange in COMMODITY_EXCHANGES else EQUITY_HOURS


def is_open(exchange: str, at: datetime) -> bool:
    """Whether `exchange` is in its regular session at `at` (an aware datetime)."""
    if _shared_calendar is not None and hasattr(_shared_calendar, "is_open"):
        return bool(_shared_calendar.is_open(exchange, at))
    local = ist_now(at)
    start, end = session_hours(exchange)
    return is_trading_day(local.date()) and start <= local.time() < end


def describe_hours(exchange: str) -> str:
    start, end = session_hours(exchange)
    return f"{start:%H:%M}-{end:%H:%M} IST on trading days"
