"""The paper broker's built-in instrument list, in the unified master-contract format (API_CONTRACT §7).

Built for a given IST date: the NIFTY 50 and other liquid stocks on NSE (a few also on BSE), the
indices; index futures for the next three monthly expiries and options for the next two monthlies (NIFTY
and SENSEX also the next two weeklies), 51 strikes around the day's anchor level; stock futures (three
monthlies) and options (two monthlies, 21 strikes) for the F&O stocks; USDINR futures and options on
CDS; near-month MCX futures and options on them. Expiries follow the rules in universe.py, and one
falling on a holiday of its exchange moves to the previous trading day. Symbols are produced only by
`utils.symbols`.

`lookup()` also recognises a valid derivative symbol that is not in today's list (a contract held
since an earlier day whose strike has drifted out of the window), so positions stay priceable.
"""
from __future__ import annotations

import calendar as month_calendar
import hashlib
import zlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from broker.paper import universe
from broker.paper.calendar import IST, previous_trading_day
from broker.paper.prices import day_anchor
from utils.symbols import DerivativeSymbol, future_symbol, master_expiry, option_symbol, parse_derivative

EXPIRY_CUTOFF = {"NFO": time(15, 30), "BFO": time(15, 30), "MCX": time(23, 30), "CDS": time(12, 30)}


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
    carry: float | None = None   # annual carry of its forward over the driver (None: RISK_FREE_RATE)
    # units of the underlying (in the price's unit) per unit of quantity: money = quantity x multiplier x
    # price (USDINR counted in contracts: 1,000; see universe.py, "Currency")
    multiplier: float = 1.0

    @property
    def seed_key(self) -> str:
        return seed_key(self.exchange, self.symbol)

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


def monthly_expiries(today: date, weekday: int, count: int, exchange: str = "NSE") -> list[date]:
    out = []
    for year, month in _month_iter(today):
        expiry = previous_trading_day(_last_weekday(year, month, weekday), exchange)
        if expiry >= today:
            out.append(expiry)
        if len(out) == count:
            return out
    return out  # pragma: no cover


def weekly_expiries(today: date, weekday: int, count: int, exchange: str = "NSE") -> list[date]:
    out, day = [], today + timedelta(days=(weekday - today.weekday()) % 7)
    while len(out) < count:
        expiry = previous_trading_day(day, exchange)
        if expiry >= today:
            out.append(expiry)
        day += timedelta(days=7)
    return out


def commodity_expiry(spec: universe.CommoditySpec, year: int, month: int) -> date:
    """The day an MCX future of this contract month expires (the rule in universe.CommoditySpec)."""
    day = spec.expiry_day or month_calendar.monthrange(year, month)[1]
    return _trading_days_before(previous_trading_day(date(year, month, day), "MCX"), spec.expiry_lead_days, "MCX")


def commodity_expiries(spec: universe.CommoditySpec, today: date, count: int) -> list[date]:
    out = []
    for year, month in _month_iter(today):
        expiry = commodity_expiry(spec, year, month)
        if expiry >= today:
            out.append(expiry)
        if len(out) == count:
            return out
    return out  # pragma: no cover


def option_expiries(spec: universe.IndexSpec, today: date) -> list[date]:
    exchange = spec.derivatives_exchange
    monthly = monthly_expiries(today, spec.monthly_weekday, 2, exchange)
    if spec.weekly_weekday is None:
        return monthly
    weekly = weekly_expiries(today, spec.weekly_weekday, 2, exchange)
    return sorted(set(weekly) | set(monthly))


def _trading_days_before(day: date, count: int, exchange: str) -> date:
    for _ in range(count):
        day = previous_trading_day(day - timedelta(days=1), exchange)
    return day


def currency_monthly_expiries(today: date, count: int) -> list[date]:
    """Two working days before the month's last business day (NSE CDS contract specifications)."""
    out = []
    for year, month in _month_iter(today):
        last_business_day = previous_trading_day(date(year, month, month_calendar.monthrange(year, month)[1]),
                                                 universe.CURRENCY_EXCHANGE)
        expiry = _trading_days_before(last_business_day, 2, universe.CURRENCY_EXCHANGE)
        if expiry >= today:
            out.append(expiry)
        if len(out) == count:
            return out
    return out  # pragma: no cover


def currency_option_expiries(today: date) -> list[date]:
    weekly = weekly_expiries(today, universe.CURRENCY_WEEKLY_WEEKDAY, 2, universe.CURRENCY_EXCHANGE)
    return sorted(set(weekly) | set(currency_monthly_expiries(today, 2)))


def commodity_option_expiry(spec: universe.CommoditySpec, future_expiry: date) -> date:
    return _trading_days_before(future_expiry, spec.option_lead_days, "MCX")


def commodity_option_series(spec: universe.CommoditySpec, today: date, count: int) -> list[tuple[date, date]]:
    """(option expiry, its future's expiry) of the next `count` option months still trading."""
    pairs = [(commodity_option_expiry(spec, future), future) for future in commodity_expiries(spec, today, count + 1)]
    return [pair for pair in pairs if pair[0] >= today][:count]


@lru_cache(maxsize=1024)      # a day's list asks it for thousands of options over a dozen expiries
def expiry_epoch(exchange: str, expiry: date) -> int:
    cutoff = EXPIRY_CUTOFF.get(exchange, time(15, 30))
    return int(datetime.combine(expiry, cutoff, tzinfo=IST).timestamp())


# ------------------------------------------------------------------------------------------ builders

def _token(exchange: str, symbol: str) -> str:
    """A 15-digit number fixed by the exchange and symbol: the same every day and in every process, and
    wide enough that no two instruments share one (tokens of 8 digits from a 32-bit checksum collided
    among the ~10,000 instruments of some days, which stopped the whole paper market those days).
    Below 2**53, so a script that reads it as a JavaScript number keeps every digit."""
    digest = hashlib.blake2b(f"{exchange}:{symbol}".encode(), digest_size=8).digest()
    return str(int.from_bytes(digest, "big") % 900_000_000_000_000 + 100_000_000_000_000)


@lru_cache(maxsize=65_536)
def seed_key(exchange: str, symbol: str) -> str:
    """What the simulation's random streams for an instrument are keyed on: the instrument's token of
    the first scheme, kept so that every instrument's prices and volumes stay what they were."""
    return str(zlib.crc32(f"{exchange}:{symbol}".encode()) % 90_000_000 + 10_000_000)


def _equities() -> list[PaperInstrument]:
    rows = []
    for symbol, name, level in universe.NIFTY50 + universe.MORE_EQUITIES:
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


@dataclass(frozen=True)
class _Underlying:
    """What a derivative needs to know about what it is written on."""
    base: str
    name: str
    exchange: str          # where its derivatives trade
    driver_key: str        # the series that moves it
    reference: float
    volatility: float
    lotsize: int
    tick_size: float
    strike_step: float
    future_type: str       # FUTIDX / FUTSTK / FUTCUR / FUTCOM
    daily_lots: int        # futures' daily volume in lots (options trade half as much)
    underlying: str = ""   # "EXCHANGE:SYMBOL" quoted as its spot ("" for options on a future)
    carry: float | None = None
    multiplier: float = 1.0


def _future(u: _Underlying, expiry: date) -> PaperInstrument:
    symbol = future_symbol(u.base, expiry)
    return PaperInstrument(
        symbol, symbol, u.name, u.exchange, u.exchange, _token(u.exchange, symbol), master_expiry(expiry), -1.0,
        u.lotsize, u.tick_size, u.future_type, "future", u.driver_key, u.reference, u.volatility,
        expiry_epoch(u.exchange, expiry), daily_volume=u.lotsize * u.daily_lots, underlying=u.underlying,
        carry=u.carry, multiplier=u.multiplier)


def _option(u: _Underlying, expiry: date, strike: float, option_type: str) -> PaperInstrument:
    symbol = option_symbol(u.base, expiry, strike, option_type)
    return PaperInstrument(
        symbol, symbol, u.name, u.exchange, u.exchange, _token(u.exchange, symbol), master_expiry(expiry),
        float(strike), u.lotsize, 0.05 if u.tick_size >= 0.05 else u.tick_size, option_type, "option",
        u.driver_key, u.reference, u.volatility, expiry_epoch(u.exchange, expiry), option_type,
        daily_volume=u.lotsize * u.daily_lots // 2, underlying=u.underlying, carry=u.carry,
        multiplier=u.multiplier)


def _of_index(spec: universe.IndexSpec) -> _Underlying:
    key = f"{spec.exchange}:{spec.symbol}"
    return _Underlying(spec.symbol, spec.symbol, spec.derivatives_exchange, key, float(spec.anchor), spec.volatility,
                       spec.lotsize, 0.05, spec.strike_step, "FUTIDX", 200_000, key)


def _of_stock(symbol: str) -> _Underlying | None:
    level = universe.equity_level(symbol)
    if level is None or symbol not in universe.fno_stocks():
        return None
    return _Underlying(symbol, symbol, "NFO", f"NSE:{symbol}", level, universe.EQUITY_VOLATILITY,
                       universe.stock_lot(symbol, level), universe.equity_tick_size(level),
                       universe.stock_strike_step(level), "FUTSTK", 20_000, f"NSE:{symbol}")


def _of_currency(spec: universe.CurrencySpec) -> _Underlying:
    exchange = universe.CURRENCY_EXCHANGE
    return _Underlying(spec.symbol, spec.name, exchange, f"{exchange}:{spec.symbol}", float(spec.anchor),
                       spec.volatility, spec.lotsize, spec.tick_size, spec.strike_step, "FUTCUR", 2_000,
                       carry=spec.carry, multiplier=spec.multiplier)


def _of_commodity_future(spec: universe.CommoditySpec, future_expiry: date) -> _Underlying:
    """Options on one MCX future: its own series, no carry over it (the future is the forward)."""
    future = future_symbol(spec.symbol, future_expiry)
    return _Underlying(spec.symbol, spec.name, "MCX", f"MCX:{future}", float(spec.anchor), spec.volatility,
                       spec.lotsize, spec.tick_size, spec.strike_step, "FUTCOM", 20_000, f"MCX:{future}", 0.0)


def index_future(spec: universe.IndexSpec, expiry: date) -> PaperInstrument:
    return _future(_of_index(spec), expiry)


def index_option(spec: universe.IndexSpec, expiry: date, strike: float, option_type: str) -> PaperInstrument:
    return _option(_of_index(spec), expiry, strike, option_type)


def commodity_future(spec: universe.CommoditySpec, expiry: date) -> PaperInstrument:
    symbol = future_symbol(spec.symbol, expiry)
    # each MCX contract month moves on its own series; the carry is already in its level
    return PaperInstrument(
        symbol, symbol, spec.name, "MCX", "MCX", _token("MCX", symbol), master_expiry(expiry), -1.0,
        spec.lotsize, spec.tick_size, "FUTCOM", "spot", f"MCX:{symbol}", float(spec.anchor),
        spec.volatility, expiry_epoch("MCX", expiry), daily_volume=spec.lotsize * 20_000)


def _centre(u: _Underlying, today: date, seed: int) -> float:
    """The at-the-money strike of the day: the driver's level at 00:00 IST on the strike grid."""
    level = day_anchor(u.driver_key, u.reference, u.volatility, today.toordinal(), seed)
    return round(level / u.strike_step) * u.strike_step


def atm_strike(spec: universe.IndexSpec, today: date, seed: int) -> float:
    return _centre(_of_index(spec), today, seed)


def _chain(u: _Underlying, expiries: list[date], today: date, seed: int, each_side: int) -> list[PaperInstrument]:
    centre = _centre(u, today, seed)
    strikes = [round(centre + step * u.strike_step, 4) for step in range(-each_side, each_side + 1)]
    return [_option(u, expiry, strike, kind) for expiry in expiries for strike in strikes if strike > 0
            for kind in ("CE", "PE")]


def _derivatives(today: date, seed: int) -> list[PaperInstrument]:
    rows = []
    for spec in universe.INDICES:
        if not spec.lotsize:
            continue
        index = _of_index(spec)
        rows += [_future(index, expiry)
                 for expiry in monthly_expiries(today, spec.monthly_weekday, 3, spec.derivatives_exchange)]
        if spec.has_options:
            rows += _chain(index, option_expiries(spec, today), today, seed, universe.STRIKES_EACH_SIDE)
    stock_expiries = monthly_expiries(today, 1, 3, "NFO")
    for symbol in universe.fno_stocks():
        stock = _of_stock(symbol)
        assert stock is not None
        rows += [_future(stock, expiry) for expiry in stock_expiries]
        rows += _chain(stock, stock_expiries[:2], today, seed, universe.STOCK_STRIKES_EACH_SIDE)
    for currency in universe.CURRENCIES:
        pair = _of_currency(currency)
        rows += [_future(pair, expiry) for expiry in currency_monthly_expiries(today, 3)]
        rows += _chain(pair, currency_option_expiries(today), today, seed, universe.CURRENCY_STRIKES_EACH_SIDE)
    for commodity in universe.COMMODITIES:
        rows += [commodity_future(commodity, expiry)
                 for expiry in commodity_expiries(commodity, today, 2)]
        if commodity.strike_step:
            for option_expiry, future_expiry in commodity_option_series(commodity, today, 2):
                rows += _chain(_of_commodity_future(commodity, future_expiry), [option_expiry], today, seed,
                               universe.COMMODITY_STRIKES_EACH_SIDE)
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
    """A derivative outside today's window: known underlying, strike on the grid, valid expiry."""
    parsed = parse_derivative(symbol)
    if parsed is None:
        return None
    underlying = _underlying_of(parsed, exchange)
    if underlying is None:
        return None
    if parsed.option_type is None:
        if underlying.future_type == "FUTCOM":
            return commodity_future(universe.commodity_spec(parsed.base), parsed.expiry)  # type: ignore[arg-type]
        return _future(underlying, parsed.expiry)
    strike = parsed.strike or 0
    if strike <= 0 or abs(strike / underlying.strike_step - round(strike / underlying.strike_step)) > 1e-9:
        return None
    return _option(underlying, parsed.expiry, float(strike), parsed.option_type)


def _underlying_of(parsed: DerivativeSymbol, exchange: str) -> _Underlying | None:
    commodity = universe.commodity_spec(parsed.base)
    if commodity is not None and exchange == "MCX":
        if parsed.option_type is None:
            return _of_commodity_future(commodity, parsed.expiry)   # (built by commodity_future)
        if not commodity.strike_step:
            return None
        # the future an option expiring on this day is written on: the first expiring after it
        future = next((f for f in commodity_expiries(commodity, parsed.expiry, 2)
                       if commodity_option_expiry(commodity, f) == parsed.expiry), None)
        return _of_commodity_future(commodity, future) if future else None
    currency = universe.currency_spec(parsed.base)
    if currency is not None:
        return _of_currency(currency) if exchange == universe.CURRENCY_EXCHANGE else None
    spec = universe.index_spec(parsed.base)
    if spec is not None:
        if spec.derivatives_exchange != exchange or (parsed.option_type and not spec.has_options):
            return None
        return _of_index(spec)
    return _of_stock(parsed.base) if exchange == "NFO" else None


@lru_cache(maxsize=4)
def catalog(today: date, seed: int = 0) -> Catalog:
    rows = _equities() + [_index(spec) for spec in universe.INDICES] + _derivatives(today, seed)
    return Catalog(rows)
