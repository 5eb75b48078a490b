"""Option analytics use cases (API_CONTRACT.md §8): optionsymbol, optionchain, optiongreeks, syntheticfuture.

The shared resolution of §8 (steps 1-5) lives here: parse the underlying (embedded expiry), pick where its
LTP comes from, map to the options exchange, load the listed strikes of (base, expiry) from the master
contract, select strikes with services.option_strikes, and verify the built symbol. Prices come from the
user's broker through services.market_data; the maths is services.option_greeks / utils.black76.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from broker.contract import Instrument
from broker.errors import AuthError, BrokerError, TokenExpired
from database import db
from database.symtoken import SymToken
from services import market_data
from services.broker_session import LiveBroker, live_session
from services.instrument_cache import cache_for
from services.option_greeks import days_to_expiry, expiry_cutoff, leg_analytics, option_greeks
from services.option_strikes import (ChainRow, chain_rows, parse_offset, select_strike, select_strike_by_interval,
                                     synthetic_future)
from utils import clock
from utils.constants import BSE_INDEX_UNDERLYINGS, NSE_INDEX_UNDERLYINGS
from utils.errors import DomainError, InvalidInput, NotFound, ServiceFailure
from utils.market_calendar import now_ist
from utils.symbols import expiry_token, option_symbol, parse_derivative, parse_expiry_token, split_embedded_expiry

OPTIONS_EXCHANGE = {"NSE": "NFO", "NSE_INDEX": "NFO", "BSE": "BFO", "BSE_INDEX": "BFO"}
NO_SPOT_EXCHANGES = ("MCX", "CDS", "BCD", "NCDEX", "NCO")
EXPIRY_REQUIRED = ("Expiry date required. Provide via expiry_date parameter or embed in underlying "
                   "(e.g., NIFTY28OCT25FUT).")
LEG_QUOTE_FIELDS = ("ltp", "bid", "ask", "bid_qty", "ask_qty", "open", "high", "low", "prev_close", "volume", "oi")


@dataclass(frozen=True)
class Underlying:
    base: str                 # e.g. NIFTY
    requested: str            # as the caller wrote it, uppercase
    exchange: str             # the request's exchange
    expiry: date | None       # explicit or embedded
    options_exchange: str


def parse_expiry(text: Any, field: str = "expiry_date") -> date:
    try:
        return parse_expiry_token(str(text).strip().upper())
    except ValueError:
        raise InvalidInput(f"Invalid expiry_date {text!r}; use DDMMMYY, e.g. 30DEC25", field=field) from None


def underlying(requested: str, exchange: str, expiry_date: Any = None, *, embedded_wins: bool = False) -> Underlying:
    """§8 steps 1 and 3."""
    base, embedded = split_embedded_expiry(requested.strip())
    explicit = parse_expiry(expiry_date) if expiry_date else None
    expiry = (embedded or explicit) if embedded_wins else (explicit or embedded)
    return Underlying(base, requested.strip().upper(), exchange, expiry, OPTIONS_EXCHANGE.get(exchange, exchange))


def _spot_source(u: Underlying) -> tuple[str, str]:
    """§8 step 2 for a quotable spot: (symbol, exchange)."""
    if u.exchange in ("NFO", "BFO"):
        if u.base in NSE_INDEX_UNDERLYINGS:
            return u.base, "NSE_INDEX"
        if u.base in BSE_INDEX_UNDERLYINGS:
            return u.base, "BSE_INDEX"
        return u.base, "NSE" if u.exchange == "NFO" else "BSE"
    if u.requested != u.base:          # a future given as underlying (MCX/CDS...): quote it
        return u.requested, u.exchange
    return u.base, u.exchange


def _derivatives(broker: str, base: str, exchange: str) -> list[tuple[str, Any]]:
    table = SymToken.__table__
    with db.engine.connect() as connection:
        rows = connection.execute(select(table.c.symbol).where(
            table.c.broker == broker, table.c.exchange == exchange, table.c.symbol.like(f"{base}%")))
        return [(row.symbol, parsed) for row in rows
                if (parsed := parse_derivative(row.symbol)) is not None and parsed.base == base]


def nearest_future(broker: str, base: str, exchange: str) -> str:
    today = now_ist().date()
    futures = sorted((parsed.expiry, symbol) for symbol, parsed in _derivatives(broker, base, exchange)
                     if not parsed.is_option and parsed.expiry >= today)
    if not futures:
        raise NotFound(f"No near-month future found for {base} in {exchange}")
    return futures[0][1]


def listed_strikes(broker: str, u: Underlying) -> list[float]:
    """§8 step 4: strikes listed for (base, expiry) on the options exchange, with both or either side."""
    assert u.expiry is not None
    strikes = sorted({float(parsed.strike) for _, parsed in _derivatives(broker, u.base, u.options_exchange)
                      if parsed.is_option and parsed.expiry == u.expiry and parsed.strike is not None})
    if not strikes:
        raise NotFound(f"No strikes found for {u.base} expiring {expiry_token(u.expiry)}. "
                       "Please check the expiry date (see /expiry).", field="expiry_date")
    return strikes


def underlying_quote(live: LiveBroker, u: Underlying, *, nearest_future_fallback: bool = False) -> tuple[str, str, Any]:
    """(symbol, exchange, Quote) of the LTP source, or the §8.1 'Failed to fetch LTP' error."""
    symbol, exchange = _spot_source(u)
    if nearest_future_fallback and u.exchange in NO_SPOT_EXCHANGES and symbol == u.base:
        symbol = nearest_future(live.name, u.base, u.exchange)
    try:
        quote = market_data.fetch_quote(live, market_data.resolve(live, symbol, exchange))
    except TokenExpired:
        raise          # the session, not the quote: answered as "broker session expired"
    except DomainError as exc:   # keeps the cause's status: unknown symbol 400, broker failure 500 ...
        raise exc.reworded(f"Failed to fetch LTP for {u.base}. {exc}") from None
    if not quote.ltp:
        raise ServiceFailure(f"Failed to fetch LTP for {u.base}. The quote has no last price.")
    return symbol, exchange, quote


def _require_expiry(u: Underlying, message: str = EXPIRY_REQUIRED) -> None:
    if u.expiry is None:
        raise InvalidInput(message, field="expiry_date")


def _instrument(live: LiveBroker, symbol: str, exchange: str) -> Instrument:
    instrument = cache_for(live.name).by_symbol(symbol, exchange)
    if instrument is None:
        raise NotFound(f"Option symbol {symbol} not found in {exchange}. Please check the expiry "
                       "and offset.")
    return instrument


# --------------------------------------------------------------------------------------- optionsymbol
def resolve_option(live: LiveBroker, u: Underlying, ltp: float, offset: str, option_type: str,
                   strike_int: float | None = None) -> Instrument:
    """§8 steps 4-5: the option instrument `offset` listed strikes from ATM."""
    _require_expiry(u)
    kind = option_type.upper()
    if strike_int:
        strike = select_strike_by_interval(ltp, float(strike_int), parse_offset(offset), kind)
    else:
        strike = select_strike(listed_strikes(live.name, u), ltp, parse_offset(offset), kind)
    return _instrument(live, option_symbol(u.base, u.expiry, strike, kind), u.options_exchange)


def optionsymbol(user_id: int, request: dict[str, Any]) -> dict[str, Any]:
    live = live_session(user_id)
    u = underlying(request["underlying"], request["exchange"], request.get("expiry_date"))
    _require_expiry(u)
    parse_offset(request["offset"])
    _, _, quote = underlying_quote(live, u)
    option = resolve_option(live, u, quote.ltp, request["offset"], request["option_type"], request.get("strike_int"))
    return {"status": "success", "symbol": option.symbol, "exchange": option.exchange, "lotsize": option.lotsize,
            "tick_size": option.tick_size, "freeze_qty": option.freeze_qty or 1, "underlying_ltp": quote.ltp}


# ------------------------------------------------------------------------------------ syntheticfuture
def syntheticfuture(user_id: int, request: dict[str, Any]) -> dict[str, Any]:
    live = live_session(user_id)
    u = underlying(request["underlying"], request["exchange"], request.get("expiry_date"))
    _require_expiry(u)
    _, _, quote = underlying_quote(live, u)
    call = resolve_option(live, u, quote.ltp, "ATM", "CE")
    put = resolve_option(live, u, quote.ltp, "ATM", "PE")
    prices = market_data.fetch_quotes(live, [call, put])
    for leg, price in (("Call", prices[0]), ("Put", prices[1])):
        if isinstance(price, BrokerError) or not price.ltp:
            raise ServiceFailure(f"Could not fetch LTP for {leg} option: {price}")
    return {"status": "success", "underlying": u.requested, "underlying_ltp": quote.ltp,
            "expiry": expiry_token(u.expiry), "atm_strike": float(call.strike),
            "synthetic_future_price": synthetic_future(call.strike, prices[0].ltp, prices[1].ltp)}


# ---------------------------------------------------------------------------------------- optionchain
def _leg(instrument: Instrument | None, label: str, quote: Any) -> dict[str, Any] | None:
    if instrument is None:
        return None
    values = market_data.quote_body(quote) if quote is not None and not isinstance(quote, BrokerError) else {}
    leg = {"symbol": instrument.symbol, "label": label}
    leg.update({name: values.get(name, 0) for name in LEG_QUOTE_FIELDS})
    leg.update(lotsize=instrument.lotsize, tick_size=instrument.tick_size)
    return leg


def _add_greeks(chain: list[dict[str, Any]], forward: float, years: float, rate: float) -> None:
    for row in chain:
        for side, kind in (("ce", "CE"), ("pe", "PE")):
            leg = row[side]
            if leg and leg["ltp"] > 0 and years > 0 and forward > 0:
                analytics = leg_analytics(kind, leg["ltp"], forward, row["strike"], years, rate)
                leg.update({k: analytics[k] for k in ("implied_volatility", "delta", "gamma", "theta", "vega")})


def _forward(chain: list[dict[str, Any]], atm: float, fallback: float) -> float:
    for row in chain:
        if row["strike"] == atm and row["ce"] and row["pe"] and row["ce"]["ltp"] and row["pe"]["ltp"]:
            return synthetic_future(atm, row["ce"]["ltp"], row["pe"]["ltp"])
    return fallback


def optionchain(user_id: int, request: dict[str, Any]) -> dict[str, Any]:
    live = live_session(user_id)
    u = underlying(request["underlying"], request["exchange"], request.get("expiry_date"), embedded_wins=True)
    _require_expiry(u, "Expiry date is required.")
    symbol, exchange, quote = underlying_quote(live, u, nearest_future_fallback=True)
    rows: list[ChainRow] = chain_rows(listed_strikes(live.name, u), quote.ltp, request.get("strike_count"))
    cache = cache_for(live.name)
    legs = {(row.strike, kind): cache.by_symbol(option_symbol(u.base, u.expiry, row.strike, kind), u.options_exchange)
            for row in rows for kind in ("CE", "PE")}
    listed = [inst for inst in legs.values() if inst is not None]
    if not listed:
        raise NotFound(f"No valid option symbols found for {u.base} {expiry_token(u.expiry)}")
    quotes = dict(zip((i.symbol for i in listed), market_data.fetch_quotes(live, listed)))
    chain = [{"strike": row.strike,
              "ce": _leg(legs[(row.strike, "CE")], row.ce_label, quotes.get(getattr(legs[(row.strike, "CE")], "symbol", ""))),
              "pe": _leg(legs[(row.strike, "PE")], row.pe_label, quotes.get(getattr(legs[(row.strike, "PE")], "symbol", "")))}
             for row in rows]
    atm = next(row.strike for row in rows if row.ce_label == "ATM")
    body = {"status": "success", "underlying": u.base, "underlying_symbol": symbol, "underlying_exchange": exchange,
            "underlying_ltp": quote.ltp, "underlying_prev_close": quote.prev_close,
            "expiry_date": expiry_token(u.expiry),
            "expiry_ts": int(expiry_cutoff(u.options_exchange, u.expiry).timestamp()),
            "server_ts": int(clock.now().timestamp()), "atm_strike": atm, "quotes_included": True,
            "greeks_included": bool(request.get("with_greeks")), "forward_price": None, "chain": chain}
    if request.get("with_greeks"):
        forward = _forward(chain, atm, quote.ltp)
        years = days_to_expiry(u.options_exchange, u.expiry, now_ist()) / 365.0
        _add_greeks(chain, forward, years, float(request.get("interest_rate") or 0) / 100)
        body["forward_price"] = forward
    return body


# --------------------------------------------------------------------------------------- optiongreeks
def optiongreeks(user_id: int, request: dict[str, Any]) -> dict[str, Any]:
    live = live_session(user_id)
    symbol, exchange = request["symbol"].upper(), request["exchange"]
    parsed = parse_derivative(symbol)
    if parsed is None or not parsed.is_option:
        raise InvalidInput(f"Invalid option symbol {symbol!r}; expected e.g. NIFTY30DEC2526000CE",
                           field="symbol")
    option = market_data.resolve(live, symbol, exchange)
    forward = request.get("forward_price")
    if forward is None and request.get("underlying_symbol") and request.get("underlying_exchange"):
        source = market_data.resolve(live, request["underlying_symbol"].upper(), request["underlying_exchange"])
        forward = market_data.fetch_quote(live, source).ltp
    elif forward is None:
        forward = _default_forward(live, parsed, exchange)
    premium = market_data.fetch_quote(live, option).ltp
    return option_greeks(symbol, exchange, option_price=premium, underlying_price=forward,
                         interest_rate=request.get("interest_rate"), expiry_time=request.get("expiry_time"))


def multioptiongreeks(user_id: int, request: dict[str, Any]) -> dict[str, Any]:
    """optiongreeks for each item of `symbols` (the common interest_rate and expiry_time applied); an item
    that fails answers its own error and the others still succeed (`summary` counts both)."""
    common = {"interest_rate": request.get("interest_rate"), "expiry_time": request.get("expiry_time")}
    data = []
    for item in request["symbols"]:
        try:
            data.append(optiongreeks(user_id, {**item, **common}))
        except DomainError as exc:
            if isinstance(exc, AuthError):
                raise   # no broker session: the whole request, not one symbol
            data.append({"status": "error", "symbol": item["symbol"].upper(), "exchange": item["exchange"],
                         "message": exc.message})
    succeeded = sum(1 for row in data if row["status"] == "success")
    return {"status": "success", "data": data,
            "summary": {"total": len(data), "success": succeeded, "failed": len(data) - succeeded}}


def _default_forward(live: LiveBroker, parsed: Any, exchange: str) -> float:
    """§8.5 without overrides: on NFO/BFO the synthetic forward of the option's expiry (ATM strike + CE -
    PE), falling back to the spot LTP; elsewhere the nearest future's LTP."""
    u = Underlying(parsed.base, parsed.base, exchange, parsed.expiry, exchange)
    if exchange not in ("NFO", "BFO"):
        future = nearest_future(live.name, parsed.base, exchange)
        return market_data.fetch_quote(live, market_data.resolve(live, future, exchange)).ltp
    spot = market_data.fetch_quote(live, market_data.resolve(live, *_spot_source(u))).ltp
    try:
        call = resolve_option(live, u, spot, "ATM", "CE")
        put = _instrument(live, option_symbol(u.base, u.expiry, call.strike, "PE"), exchange)
        prices = market_data.fetch_quotes(live, [call, put])
    except DomainError:
        return spot
    if any(isinstance(p, BrokerError) or not p.ltp for p in prices):
        return spot
    return synthetic_future(call.strike, prices[0].ltp, prices[1].ltp)
