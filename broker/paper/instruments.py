"""The paper broker's built-in instrument list, in the unified master-contract format (API_CONTRACT §7).

Built for a given IST date: NIFTY 50 equities on NSE (and a few on BSE), the indices, index futures for
the next three monthly expiries, NIFTY / SENSEX option chains for the next two weekly and the next two
monthly expiries, BANKNIFTY for the next two monthlies (it has no weeklies), 51 strikes each around the day's
anchor level, and near-month MCX futures. Expiries falling on a holiday move to the previous trading
day. Symbols are produced only by `utils.symbols`.

`lookup()` also recognises a valid derivative symbol that is not in today's list (a contract held
since an earlier day whose strike has drifted out of the window), so positions stay priceable.
"""
from __future__ import annotations

import calendar as month_calendar
import zlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from broker.paper import universe
from broker.paper.calendar import IST, previous_trading_day
from broker.paper.prices import day_anchor
from utils.symbols import future_symbol, master_expiry, option_symbol, parse_derivative

EXPIRY_CUTOFF = {"NFO": time(15, 30), "BFO": time(15, 30), "MCX": time(23, 30)}


@dataclass(frozen=True)
class PaperInstrument:
    # the unified record (API_CONTRACT §7)
    symbol: str
    brsymbol: str
    name: str
    exchange: str
    brexchange: str
    token: str
    expiry: str            # DD-MMM-YY or ""
    strike: float
    lotsize: int
    tick_size: float
    instrumenttype: str
    # simulation details
    kind: str              # spot / future / option
    driver_key: str        # the series that moves it, e.g. "NSE_INDEX:NIFTY"
    reference_price: float
    volatility: float
    expiry_epoch: int = 0
    option_type: str = ""
    daily_volume: int = 0
    underlying: str = ""   # "EXCHANGE:SYMBOL" of the underlying for derivatives

    @property
    def tradable(self) -> bool:
        return not self.exchange.endswith("_INDEX")

    @property
    def is_derivative(self) -> bool:
        return self.kind != "spot" or self.exchange == "MCX"


# ------------------------------------------------------------------------------------------ expiries

def _last_weekday(year: int, month: int, weekday: int) -> date:
    last = date(year, month, month_calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _month_iter(today: date):
    year, month = today.year, today.month
    while True:
        yield year, month
        month += 1
        if month == 13:
            year, month = year + 1, 1


def monthly_expiries(today: date, weekday: int, count: int) -> list[date]:
    out = []
    for year, month in _month_iter(today):
        expiry = previous_trading_day(_last_weekday(year, month, weekday))
        if expiry >= today:
            out.append(expiry)
        if len(out) == count:
            return out
    return out  # pragma: no cover


def weekly_expiries(today: date, weekday: int, count: int) -> list[date]:
    out, day = [], today + timedelta(days=(weekday - today.weekday()) % 7)
    while len(out) < count:
        expiry = previous_trading_day(day)
        if expiry >= today:
            out.append(expiry)
        day += timedelta(days=7)
    return out


def commodity_expiries(today: date, expiry_day: int, count: int) -> list[date]:
    out = []
    for year, month in _month_iter(today):
        last = month_calendar.monthrange(year, month)[1]
        expiry = previous_trading_day(date(year, month, expiry_day or last))
        if expiry >= today:
            out.append(expiry)
        if len(out) == count:
            return out
    return out  # pragma: no cover


def option_expiries(spec: universe.IndexSpec, today: date) -> list[date]:
    monthly = monthly_expiries(today, spec.monthly_weekday, 2)
    if spec.weekly_weekday is None:
        return monthly
    weekly = weekly_expiries(today, spec.weekly_weekday, 2)
    return sorted(set(weekly) | set(monthly))


def expiry_epoch(exchange: str, expiry: date) -> int:
    cutoff = EXPIRY_CUTOFF.get(exchange, time(15, 30))
    return int(datetime.combine(expiry, cutoff, tzinfo=IST).timestamp())


# ------------------------------------------------------------------------------------------ builders

def _token(exchange: str, symbol: str) -> str:
    return str(zlib.crc32(f"{exchange}:{symbol}".encode()) % 90_000_000 + 10_000_000)


def _equities() -> list[PaperInstrument]:
    rows = []
    for symbol, name, level in universe.NIFTY50:
        exchanges = ("NSE", "BSE") if symbol in universe.BSE_LISTED else ("NSE",)
        for exchange in exchanges:
            rows.append(PaperInstrument(
                symbol, f"{symbol}-EQ" if exchange == "NSE" else symbol, name, exchange, exchange,
                _token(exchange, symbol), "", -1.0, 1, universe.equity_tick_size(level), "EQ",
                "spot", f"NSE:{symbol}", float(level), universe.EQUITY_VOLATILITY,
                daily_volume=int(5e9 / level)))
    return rows


def _index(spec: universe.IndexSpec) -> PaperInstrument:
    return PaperInstrument(spec.symbol, spec.brsymbol, spec.brsymbol, spec.exchange, spec.exchange[:3],
                           _token(spec.exchange, spec.symbol), "", 0.0, 1, 0.05, "INDEX", "spot",
                           f"{spec.exchange}:{spec.symbol}", float(spec.anchor), spec.volatility)


def index_future(spec: universe.IndexSpec, expiry: date) -> PaperInstrument:
    symbol = future_symbol(spec.symbol, expiry)
    return PaperInstrument(
        symbol, symbol, spec.symbol, spec.derivatives_exchange, spec.derivatives_exchange,
        _token(spec.derivatives_exchange, symbol), master_expiry(expiry), -1.0, spec.lotsize, 0.05,
        "FUTIDX", "future", f"{spec.exchange}:{spec.symbol}", float(spec.anchor), spec.volatility,
        expiry_epoch(spec.derivatives_exchange, expiry), daily_volume=spec.lotsize * 200_000,
        underlying=f"{spec.exchange}:{spec.symbol}")


def index_option(spec: universe.IndexSpec, expiry: date, strike: float, option_type: str) -> PaperInstrument:
    symbol = option_symbol(spec.symbol, expiry, strike, option_type)
    return PaperInstrument(
        symbol, symbol, spec.symbol, spec.derivatives_exchange, spec.derivatives_exchange,
        _token(spec.derivatives_exchange, symbol), master_expiry(expiry), float(strike), spec.lotsize, 0.05,
        option_type, "option", f"{spec.exchange}:{spec.symbol}", float(spec.anchor), spec.volatility,
        expiry_epoch(spec.derivatives_exchange, expiry), option_type, daily_volume=spec.lotsize * 100_000,
        underlying=f"{spec.exchange}:{spec.symbol}")


def commodity_future(spec: universe.CommoditySpec, expiry: date) -> PaperInstrument:
    symbol = future_symbol(spec.symbol, expiry)
    # each MCX contract month moves on its own series; the carry is already in its level
    return PaperInstrument(
        symbol, symbol, spec.name, "MCX", "MCX", _token("MCX", symbol), master_expiry(expiry), -1.0,
        spec.lotsize, spec.tick_size, "FUTCOM", "spot", f"MCX:{symbol}", float(spec.anchor),
        spec.volatility, expiry_epoch("MCX", expiry), daily_volume=spec.lotsize * 20_000)


def atm_strike(spec: universe.IndexSpec, today: date, seed: int) -> float:
    level = day_anchor(f"{spec.exchange}:{spec.symbol}", float(spec.anchor), spec.volatility,
                       today.toordinal(), seed)
    return round(level / spec.strike_step) * spec.strike_step


def _derivatives(today: date, seed: int) -> list[PaperInstrument]:
    rows = []
    for spec in universe.INDICES:
        if not spec.lotsize:
            continue
        rows += [index_future(spec, expiry) for expiry in monthly_expiries(today, spec.monthly_weekday, 3)]
        if not spec.has_options:
            continue
        centre = atm_strike(spec, today, seed)
        strikes = [centre + step * spec.strike_step
                   for step in range(-universe.STRIKES_EACH_SIDE, universe.STRIKES_EACH_SIDE + 1)]
        for expiry in option_expiries(spec, today):
            rows += [index_option(spec, expiry, strike, kind) for strike in strikes for kind in ("CE", "PE")]
    for commodity in universe.COMMODITIES:
        rows += [commodity_future(commodity, expiry)
                 for expiry in commodity_expiries(today, commodity.expiry_day, 2)]
    return rows


class Catalog:
    """All instruments of one day, indexed by (symbol, exchange) and by token."""

    def __init__(self, rows: list[PaperInstrument]):
        self.rows = rows
        self.by_symbol = {(row.symbol, row.exchange): row for row in rows}
        self.by_token = {row.token: row for row in rows}
        if len(self.by_symbol) != len(rows) or len(self.by_token) != len(rows):
            raise ValueError("paper instrument list has duplicate symbols or tokens")

    def lookup(self, symbol: str, exchange: str) -> PaperInstrument | None:
        found = self.by_symbol.get((symbol, exchange))
        return found if found is not None else _synthesize(symbol, exchange)


def _synthesize(symbol: str, exchange: str) -> PaperInstrument | None:
    """A derivative outside today's window: known underlying, strike on the grid, valid expiry weekday."""
    parsed = parse_derivative(symbol)
    if parsed is None:
        return None
    commodity = universe.commodity_spec(parsed.base)
    if commodity is not None and exchange == "MCX" and parsed.option_type is None:
        return commodity_future(commodity, parsed.expiry)
    spec = universe.index_spec(parsed.base)
    if spec is None or spec.derivatives_exchange != exchange:
        return None
    if parsed.option_type is None:
        return index_future(spec, parsed.expiry)
    if not spec.has_options or (parsed.strike or 0) <= 0 or (parsed.strike or 0) % spec.strike_step:
        return None
    return index_option(spec, parsed.expiry, float(parsed.strike or 0), parsed.option_type)


@lru_cache(maxsize=4)
def catalog(today: date, seed: int = 0) -> Catalog:
    rows = _equities() + [_index(spec) for spec in universe.INDICES] + _derivatives(today, seed)
    return Catalog(rows)
