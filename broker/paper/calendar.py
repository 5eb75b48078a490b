"""Trading days and session hours as the paper broker sees them, from the shared market calendar
(`utils.market_calendar`: exchange holidays, special sessions, MCX summer/winter close).

`session_hours` gives a day's regular hours (MCX's close moves with the US daylight-saving season), used
for session matching and for the messages that name the hours.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from utils.constants import IST_ZONE

IST = ZoneInfo(IST_ZONE)
EQUITY_HOURS = (time(9, 15), time(15, 30))
COMMODITY_OPEN = time(9, 0)
COMMODITY_EXCHANGES = ("MCX", "NCDEX", "NCO")

from utils import market_calendar


def ist_now(now: datetime) -> datetime:
    return now.astimezone(IST)


TIMESTAMP_FORMAT = "%d-%b-%Y %H:%M:%S"   # API_CONTRACT §14 D18, IST


def ist_stamp(at: datetime) -> str:
    """A stored instant (naive values are UTC: SQLite keeps no offset) as the books show it, in IST."""
    aware = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
    return aware.astimezone(IST).strftime(TIMESTAMP_FORMAT)


def is_trading_day(day: date, exchange: str = "NSE") -> bool:
    return market_calendar.is_trading_day(exchange, day)


def previous_trading_day(day: date, exchange: str = "NSE") -> date:
    """`day` itself when it is a trading day of `exchange`, else the closest trading day before it."""
    while not is_trading_day(day, exchange):
        day -= timedelta(days=1)
    return day


def session_hours(exchange: str, day: date) -> tuple[time, time]:
    """`exchange`'s regular (open, close) on the IST day `day`; commodities close at that day's MCX close."""
    return (COMMODITY_OPEN, commodity_close(day)) if exchange in COMMODITY_EXCHANGES else EQUITY_HOURS


def commodity_close(day: date) -> time:
    """MCX's regular close on `day` (IST): 23:30 while New York is on daylight-saving time, else 23:55."""
    return market_calendar.regular_close("MCX", day)


def is_open(exchange: str, at: datetime) -> bool:
    """Whether `exchange` is in its regular session at `at` (an aware datetime)."""
    return market_calendar.is_open(exchange, at)


def describe_hours(exchange: str, day: date) -> str:
    """The regular hours of `exchange` as of the IST day `day`, for messages; a commodity's close is that
    day's, with a word that it changes through the year."""
    start, end = session_hours(exchange, day)
    hours = f"{start:%H:%M}-{end:%H:%M} IST on trading days"
    if exchange in COMMODITY_EXCHANGES:
        return f"{hours} (the close on {day:%d-%b-%Y}; MCX's close moves with the US daylight-saving season)"
    return hours
