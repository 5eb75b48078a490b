"""Whether an order placed now must go in as an after-market order (AMO).

Zerodha, Angel One, Dhan and Upstox each take orders outside the exchange's regular session only as AMOs
(each with its own flag or variety), so every such plugin asks the same question about the unified
exchange of the instrument; the answer is here once. An order is after-market on a weekend, on the
exchange's holiday (the shipped market calendar), and outside its regular trading session: 09:15-15:30
IST for equities and their derivatives (trading stops at 15:30; the calendar's NFO/BFO window runs to
15:40 for the contract's timings, but no broker takes a regular F&O order after 15:30), 09:00-17:00 for
currency derivatives, and 09:00 to that day's close for commodities (MCX closes at 23:30 IST while the
US is on daylight-saving time, else 23:55; utils.market_calendar).
"""
from __future__ import annotations

from datetime import datetime, time

from utils import market_calendar
from utils.market_calendar import IST

_ORDER_SESSIONS = {"CDS": (time(9, 0), time(17, 0)), "BCD": (time(9, 0), time(17, 0))}
_EQUITY_SESSION = (time(9, 15), time(15, 30))
_COMMODITY_EXCHANGES = ("MCX", "NCO")


def after_market(exchange: str, at: datetime) -> bool:
    """True when an order on `exchange` (unified name) placed at `at` (aware) must be an AMO."""
    local = at.astimezone(IST)
    if local.weekday() >= 5 or not _trading_day(exchange, local):
        return True
    opens, closes = _session(exchange, local)
    return not opens <= local.time() <= closes


def _session(exchange: str, local: datetime) -> tuple[time, time]:
    if exchange in _COMMODITY_EXCHANGES:
        opens, closes = market_calendar.regular_minutes(exchange, local.date())
        return time(opens // 60, opens % 60), time(closes // 60, closes % 60)
    return _ORDER_SESSIONS.get(exchange, _EQUITY_SESSION)


def _trading_day(exchange: str, local: datetime) -> bool:
    try:
        return market_calendar.is_trading_day(exchange, local.date())
    except ValueError:   # an exchange the calendar does not know: every weekday
        return True
