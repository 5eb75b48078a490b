"""Market holidays and timings use cases (API_CONTRACT.md §10.2, §10.3), ready for the REST namespaces.

The namespaces authenticate, then call `holidays_response(app, year)` / `timings_response(app, date)` and
return the dict as it is; a bad year or date raises InvalidInput naming the field (400 via the one mapping).
The calendar file is `app.config["MARKET_CALENDAR_FILE"]` when set (tests), else the shipped data file.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask

from utils.errors import InvalidInput
from utils.market_calendar import DATA_FILE, MarketCalendar, now_ist
from utils.constants import IST_ZONE

MIN_YEAR, MAX_YEAR = 2020, 2050
YEAR_RANGE_MESSAGE = f"Year must be between {MIN_YEAR} and {MAX_YEAR}"
DATE_FORMAT_MESSAGE = "Invalid date format. Use YYYY-MM-DD"
DATE_RANGE_MESSAGE = f"Date must be between {MIN_YEAR}-01-01 and {MAX_YEAR}-12-31"


def calendar_for(app: Flask) -> MarketCalendar:
    calendar = app.extensions.get("openalgo.market_calendar")
    if calendar is None:
        calendar = MarketCalendar(Path(app.config.get("MARKET_CALENDAR_FILE") or DATA_FILE))
        app.extensions["openalgo.market_calendar"] = calendar
    return calendar


def parse_year(value: Any) -> int:
    """None → the current IST year; a JSON number or numeric string in 2020-2050 otherwise."""
    if value is None:
        return now_ist().year
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise InvalidInput(field="year", message="Year must be a whole number such as 2026")
    try:
        year = int(str(value).strip()) if not isinstance(value, (int, float)) else int(value)
    except ValueError:
        raise InvalidInput(field="year", message="Year must be a whole number such as 2026") from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput(field="year", message=YEAR_RANGE_MESSAGE)
    return year


def parse_date(value: Any) -> date:
    if not isinstance(value, str) or len(value.strip()) != 10:
        raise InvalidInput(field="date", message=DATE_FORMAT_MESSAGE)
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(field="date", message=DATE_FORMAT_MESSAGE) from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise InvalidInput(field="date", message=DATE_RANGE_MESSAGE)
    return day


def holidays_response(app: Flask, year_value: Any = None) -> dict[str, Any]:
    year = parse_year(year_value)
    return {"status": "success", "year": year, "timezone": IST_ZONE, "data": calendar_for(app).holidays(year)}


def timings_response(app: Flask, date_value: Any) -> dict[str, Any]:
    return {"status": "success", "data": calendar_for(app).timings(parse_date(date_value))}
