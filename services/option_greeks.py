"""Option Greeks for one option symbol (API_CONTRACT.md §8.5), without the quote fetching.

`option_greeks(...)` takes the prices already fetched (the REST layer gets the option LTP and the
underlying/forward price through the broker) and returns the contract's response body. Time to expiry is
counted in calendar days / 365 up to the exchange's expiry cut-off in IST: NFO/BFO 15:30, CDS/BCD 12:30,
MCX/NCO that day's close (23:30 while the US is on daylight-saving time, else 23:55: MCX moves its close
with the US season), others 15:30, unless the caller passes `expiry_time`.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

from utils.errors import InvalidInput, NotFound
from utils import black76, clock
from utils.constants import FNO_EXCHANGES
from utils.market_calendar import IST, regular_close
from utils.symbols import parse_derivative

EXPIRY_CUTOFFS = {"NFO": time(15, 30), "BFO": time(15, 30), "CDS": time(12, 30), "BCD": time(12, 30)}
SEASONAL_CLOSE_EXCHANGES = ("MCX", "NCO")   # expire at that day's close (utils.market_calendar)
DEFAULT_CUTOFF = time(15, 30)
DEEP_ITM_NOTE = ("Implied volatility could not be solved: the option trades at or below its intrinsic "
                 "value (deep in the money), so Greeks are reported as for the intrinsic value only.")


def expiry_cutoff(exchange: str, expiry: date, expiry_time: str | None = None) -> datetime:
    """The IST instant the contract expires: its expiry date at the exchange's (or the given) cut-off."""
    if exchange in SEASONAL_CLOSE_EXCHANGES:
        cutoff = regular_close(exchange, expiry)
    else:
        cutoff = EXPIRY_CUTOFFS.get(exchange, DEFAULT_CUTOFF)
    if expiry_time is not None:
        match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", str(expiry_time).strip())
        if not match:
            raise InvalidInput(f"Invalid expiry_time {expiry_time!r}; use HH:MM in IST, e.g. 15:30",
                               field="expiry_time")
        cutoff = time(int(match[1]), int(match[2]))
    return datetime.combine(expiry, cutoff, IST)


def days_to_expiry(exchange: str, expiry: date, now: datetime, expiry_time: str | None = None) -> float:
    return (expiry_cutoff(exchange, expiry, expiry_time) - now).total_seconds() / 86400.0


def _number(value: Any, field: str, low: float, high: float | None = None) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field} must be a number", field=field) from None
    if number != number or number < low or (high is not None and number > high):
        bounds = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        raise InvalidInput(f"{field} must be {bounds}", field=field)
    return number


def option_greeks(symbol: str, exchange: str, *, option_price: Any, underlying_price: Any,
                  interest_rate: Any = 0, expiry_time: str | None = None,
                  now: datetime | None = None) -> dict[str, Any]:
    """The §8.5 success body. `underlying_price` is the forward (or spot) actually used."""
    if exchange not in FNO_EXCHANGES:
        raise InvalidInput(f"exchange must be one of {', '.join(FNO_EXCHANGES)}", field="exchange")
    parsed = parse_derivative(str(symbol).upper())
    if parsed is None or not parsed.is_option:
        raise InvalidInput(f"Invalid option symbol {symbol!r}; expected e.g. NIFTY30DEC2526000CE",
                           field="symbol")
    rate_percent = _number(interest_rate if interest_rate is not None else 0, "interest_rate", 0, 100)
    forward = _number(underlying_price, "underlying_price", 0)
    premium = _number(option_price, "option_price", 0)
    if forward <= 0:
        raise NotFound("Underlying LTP not available")
    if premium <= 0:
        raise NotFound("Option LTP not available")
    now = (now or clock.now()).astimezone(IST)
    days = days_to_expiry(exchange, parsed.expiry, now, expiry_time)
    if days <= 0:
        raise InvalidInput(f"Option has expired on {parsed.expiry:%d-%b-%Y}")

    strike, kind, rate = float(parsed.strike or 0), parsed.option_type or "CE", rate_percent / 100
    body: dict[str, Any] = {
        "status": "success", "symbol": str(symbol).upper(), "exchange": exchange, "underlying": parsed.base,
        "strike": strike, "option_type": kind, "expiry_date": f"{parsed.expiry:%d-%b-%Y}",
        "days_to_expiry": round(days, 4), "spot_price": forward, "option_price": premium,
        "interest_rate": rate_percent,
    }
    analytics = leg_analytics(kind, premium, forward, strike, days / 365.0, rate)
    body["implied_volatility"] = analytics.pop("implied_volatility")
    body["greeks"] = {name: analytics.pop(name) for name in ("delta", "gamma", "theta", "vega", "rho")}
    body.update(analytics)   # deep ITM: intrinsic_value, time_value, note
    return body


def leg_analytics(option_type: str, premium: float, forward: float, strike: float, years: float,
                  rate: float = 0.0) -> dict[str, Any]:
    """IV (%) and rounded Greeks of one option, e.g. one option-chain leg (§8.4 with_greeks). When no
    volatility reproduces the premium (deep in the money): IV 0, delta ±1, other Greeks 0, plus
    intrinsic_value, time_value and a note (§8.5)."""
    sigma = black76.implied_volatility(option_type, premium, forward, strike, years, rate)
    if sigma is None:
        intrinsic = max(forward - strike, 0.0) if option_type == "CE" else max(strike - forward, 0.0)
        return {"implied_volatility": 0.0, "delta": 1.0 if option_type == "CE" else -1.0, "gamma": 0.0,
                "theta": 0.0, "vega": 0.0, "rho": 0.0, "intrinsic_value": round(intrinsic, 2),
                "time_value": round(premium - intrinsic, 2), "note": DEEP_ITM_NOTE}
    return {"implied_volatility": round(sigma * 100, 2),
            **rounded_greeks(black76.greeks(option_type, forward, strike, years, sigma, rate))}


def rounded_greeks(result: black76.Greeks) -> dict[str, float]:
    """§8.5 rounding: delta, theta, vega to 4 decimals; gamma and rho to 6."""
    return {"delta": round(result.delta, 4), "gamma": round(result.gamma, 6), "theta": round(result.theta, 4),
            "vega": round(result.vega, 4), "rho": round(result.rho, 6)}
