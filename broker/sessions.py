"""Whether an order placed now must go in as an after-market order (AMO).

Zerodha, Angel One, Dhan, Upstox and the Noren brokers take orders outside the exchange's session only as
AMOs (each with its own flag or variety), so every plugin asks the same question about the unified
exchange of the instrument and the answer is here once: an order is after-market unless the shipped
market calendar has the exchange in session at that instant. That covers weekends and holidays, special
sessions (a Muhurat session on a holiday evening takes regular orders), currency's 09:00-17:00 and MCX's
close on that day (23:30 IST while the US is on daylight-saving time, else 23:55). One difference from the
calendar's windows: its NFO/BFO day runs to 15:40 (the contract's published timings), but F&O takes no
regular order after its 15:30 close, so a regular F&O day ends at 15:30 here.
"""
from __future__ import annotations

from datetime import datetime, time

from utils import market_calendar
from utils.market_calendar import IST

_FNO_CLOSE = {"NFO": time(15, 30), "BFO": time(15, 30)}
_WEEKDAY_SESSION = (time(9, 15), time(15, 30))   # an exchange the calendar does not know


def after_market(exchange: str, at: datetime) -> bool:
    """True when an order on `exchange` (unified name) placed at `at` (aware) must be an AMO."""
    local = at.astimezone(IST)
    try:
        windows = market_calendar.sessions(exchange, local.date())
    except ValueError:
        if local.weekday() >= 5:
            return True
        opens, closes = _WEEKDAY_SESSION
        return not opens <= local.time() < closes
    return not any(start <= local < _order_end(exchange, start, end) for start, end in windows)


def _order_end(exchange: str, start: datetime, end: datetime) -> datetime:
    close = _FNO_CLOSE.get(exchange)
    if close is None or end.time() <= close:
        return end
    return datetime.combine(start.date(), close, IST)
