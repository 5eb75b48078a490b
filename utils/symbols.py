"""The OpenAlgo symbol format (API_CONTRACT.md §2.4) and its date formats, in one place.

Futures are `BASE + DDMMMYY + FUT`, options `BASE + DDMMMYY + STRIKE + CE|PE`; the master contract's
`expiry` column is `DD-MMM-YY`. Every broker's master-contract loader and every options service builds
and parses symbols only through these functions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from datetime import date, datetime

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MONTH_NUMBER = {name: index + 1 for index, name in enumerate(_MONTHS)}

DERIVATIVE_PATTERN = re.compile(
    r"^(?P<base>[A-Z0-9&-]+?)(?P<dd>\d{2})(?P<mon>[A-Z]{3})(?P<yy>\d{2})"
    r"(?:FUT|(?P<strike>\d+(?:\.\d+)?)(?P<type>CE|PE))$")
# an underlying that carries its expiry, e.g. NIFTY30DEC25 or NIFTY30DEC25FUT (§8 step 1)
EMBEDDED_EXPIRY_PATTERN = re.compile(r"^([A-Z0-9&-]+?)(\d{2}[A-Z]{3}\d{2})(?:FUT)?$")


@dataclass(frozen=True)
class DerivativeSymbol:
    base: str
    expiry: date
    strike: float | None = None        # None for futures
    option_type: str | None = None     # "CE" / "PE", None for futures

    @property
    def is_option(self) -> bool:
        return self.option_type is not None

    def __str__(self) -> str:
        if self.option_type is None:
            return future_symbol(self.base, self.expiry)
        return option_symbol(self.base, self.expiry, self.strike or 0.0, self.option_type)


@lru_cache(maxsize=4096)   # master-contract loads build it for ~100k rows over a few hundred expiries
def expiry_token(day: date) -> str:
    """`30DEC25`: the expiry inside symbols and the `expiry_date` request format."""
    return f"{day.day:02d}{_MONTHS[day.month - 1]}{day.year % 100:02d}"


def parse_expiry_token(text: str) -> date:
    """Inverse of `expiry_token`; case-insensitive. Raises ValueError naming the expected format."""
    match = re.fullmatch(r"(\d{2})([A-Za-z]{3})(\d{2})", text.strip())
    month = _MONTH_NUMBER.get(match[2].upper()) if match else None
    if not match or not month:
        raise ValueError(f"expiry {text!r} is not in DDMMMYY format, e.g. 30DEC25")
    try:
        return date(2000 + int(match[3]), month, int(match[1]))
    except ValueError:
        raise ValueError(f"expiry {text!r} is not a real date") from None


def master_expiry(day: date | None) -> str:
    """`30-DEC-25`: the master contract's `expiry` column; empty for instruments without expiry."""
    return "" if day is None else f"{day.day:02d}-{_MONTHS[day.month - 1]}-{day.year % 100:02d}"


def parse_master_expiry(text: str) -> date | None:
    if not text:
        return None
    return datetime.strptime(text.strip().title(), "%d-%b-%y").date()


def format_strike(strike: float) -> str:
    """`26000` for whole strikes, `292.5` otherwise (never a trailing `.0`)."""
    value = round(float(strike), 4)
    return str(int(value)) if value == int(value) else f"{value:.4f}".rstrip("0").rstrip(".")


def future_symbol(base: str, expiry: date) -> str:
    return f"{base.upper()}{expiry_token(expiry)}FUT"


def option_symbol(base: str, expiry: date, strike: float, option_type: str) -> str:
    kind = option_type.upper()
    if kind not in ("CE", "PE"):
        raise ValueError(f"option_type must be CE or PE, got {option_type!r}")
    return f"{base.upper()}{expiry_token(expiry)}{format_strike(strike)}{kind}"


def parse_derivative(symbol: str) -> DerivativeSymbol | None:
    """Split a future/option symbol into its parts; None when it is not one."""
    match = DERIVATIVE_PATTERN.match(symbol)
    if not match:
        return None
    try:
        expiry = parse_expiry_token(match["dd"] + match["mon"] + match["yy"])
    except ValueError:
        return None
    strike = float(match["strike"]) if match["strike"] else None
    return DerivativeSymbol(match["base"], expiry, strike, match["type"])


def split_embedded_expiry(underlying: str) -> tuple[str, date | None]:
    """`NIFTY30DEC25FUT` → (`NIFTY`, 2025-12-30); `NIFTY` → (`NIFTY`, None)."""
    match = EMBEDDED_EXPIRY_PATTERN.match(underlying.upper())
    if match:
        try:
            return match[1], parse_expiry_token(match[2])
        except ValueError:
            pass
    return underlying.upper(), None


def equity_symbol(trading_symbol: str) -> str:
    """Exchange trading symbol → OpenAlgo equity symbol: series suffix (`-EQ`, `-BE`, ...) dropped."""
    return re.sub(r"-(EQ|BE|BZ|BL|SM|ST|IL|GB|N\d|[A-Z]\d)$", "", trading_symbol.strip().upper())
