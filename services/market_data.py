"""Market data use cases (API_CONTRACT.md §6): quotes, multiquotes, depth, history, intervals.

Every call goes through the user's broker plugin (`broker_session.live_session`) after its capability
check; the plugin's outgoing budget is enforced where its calls leave the process (broker.http.BrokerHttp
takes the "quotes"/"history" slot before every request), so nothing here can push a broker past its
documented limits. Symbols are resolved against the master contract first: an unknown pair is the
contract's 400, never a broker round trip.

History is fetched in windows no longer than the broker serves in one call (the plugin declares them in
`capabilities.extras["history_max_days"]`, by interval unit: "s", "m", "h", "calendar") and stitched:
windows never overlap, and calendar bars (W/M/Q/Y) are cut only on their own period boundaries, so no bar
is split or repeated. `source=db` (candles stored locally) finds nothing: no candle store exists yet, so it
is the contract's 404. A plugin that declares no limits gets the whole range in one call and must window it
itself (broker/zerodha does).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterable, Iterator

from flask import current_app

from broker.contract import Instrument
from broker.contract.columns import CandleColumns
from broker.contract.manifest import INTERVALS
from broker.contract.models import Candle, Depth, HistoryRequest, Quote
from broker.errors import BrokerError, TokenExpired
from services.broker_session import LiveBroker, live_session
from services.instrument_cache import cache_for
from utils.errors import InvalidInput, NotFound, ServiceFailure
from utils.market_calendar import IST, now_ist

MAX_HISTORY_WINDOWS = 60       # broker calls one history request may cost; longer ranges are refused
MAX_HISTORY_DAYS = 3660         # documented limits of one history request (README "Limits"): ten years,
MAX_HISTORY_BARS = 110_000      # and as many bars as a year of 5-minute bars around the clock
MULTIQUOTE_WORKERS = 8          # concurrent single-quote calls when the broker has no batch endpoint
INTERVAL_GROUPS = (("seconds", "s"), ("minutes", "m"), ("hours", "h"), ("days", "D"), ("weeks", "W"),
                   ("months", "M"))
_CALENDAR = ("D", "W", "M", "Q", "Y")


def unknown_symbol_message(symbol: str, exchange: str) -> str:
    return (f"Symbol '{symbol}' not found for exchange '{exchange}'. Please verify the symbol name and "
            "ensure master contracts are downloaded.")


def resolve(live: LiveBroker, symbol: str, exchange: str) -> Instrument:
    """The master-contract instrument, or the §6 400 naming the symbol."""
    instrument = cache_for(live.name).by_symbol(symbol, exchange)
    if instrument is None:
        raise InvalidInput(unknown_symbol_message(symbol, exchange), field="symbol")
    return instrument


def quote_body(quote: Quote) -> dict[str, Any]:
    """§6.1 `data` (plus bid_qty/ask_qty, which the option chain reads)."""
    return {"ltp": quote.ltp, "open": quote.open, "high": quote.high, "low": quote.low,
            "prev_close": quote.prev_close, "volume": int(quote.volume), "bid": quote.bid, "ask": quote.ask,
            "bid_qty": int(quote.bid_qty), "ask_qty": int(quote.ask_qty), "oi": int(quote.oi)}


# ------------------------------------------------------------------------------------------- quotes
def fetch_quote(live: LiveBroker, instrument: Instrument) -> Quote:
    live.plugin.require("quote")
    return live.plugin.data.quote(live.session, instrument)


def quote(user_id: int, symbol: str, exchange: str) -> dict[str, Any]:
    live = live_session(user_id)
    return {"status": "success", "data": quote_body(fetch_quote(live, resolve(live, symbol, exchange)))}


def fetch_quotes(live: LiveBroker, instruments: list[Instrument]) -> list[Quote | BrokerError]:
    """One quote (or the broker's error) per instrument, in order: the broker's batch call in chunks of
    `max_batch_quotes` when it has one, else single quotes with bounded concurrency."""
    batch = live.plugin.capabilities.max_batch_quotes
    if batch > 0 and live.plugin.capabilities.supports("quotes"):
        results: list[Quote | BrokerError] = []
        for start in range(0, len(instruments), batch):
            chunk = instruments[start:start + batch]
            try:
                results.extend(live.plugin.data.quotes(live.session, chunk))
            except TokenExpired:
                raise          # the whole session, not one symbol: the caller answers 403
            except BrokerError as exc:
                results.extend([exc] * len(chunk))
        return results
    live.plugin.require("quote")
    app = current_app._get_current_object()

    def one(instrument: Instrument) -> Quote | BrokerError:
        with app.app_context():
            try:
                return live.plugin.data.quote(live.session, instrument)
            except BrokerError as exc:
                return exc

    if len(instruments) <= 1:
        results = [one(i) for i in instruments]
    else:
        with ThreadPoolExecutor(max_workers=min(MULTIQUOTE_WORKERS, len(instruments))) as pool:
            results = list(pool.map(one, instruments))
    expired = next((r for r in results if isinstance(r, TokenExpired)), None)
    if expired is not None:
        raise expired
    return results


def multiquotes(user_id: int, items: list[dict[str, str]]) -> dict[str, Any]:
    """§6.2: `results` with `data` or `error` per item; 400 with `invalid_symbols` when none is valid."""
    live = live_session(user_id)
    cache = cache_for(live.name)
    invalid, valid = [], []
    for item in items:
        instrument = cache.by_symbol(item["symbol"], item["exchange"])
        if instrument is None:
            invalid.append({**item, "error": unknown_symbol_message(item["symbol"], item["exchange"])})
        else:
            valid.append((item, instrument))
    if not valid:
        raise InvalidInput(invalid[0]["error"] if invalid else "No symbols given", field="symbols",
                           invalid_symbols=invalid)
    quotes = fetch_quotes(live, [instrument for _, instrument in valid])
    results = list(invalid)
    for (item, _), result in zip(valid, quotes):
        if isinstance(result, BrokerError):
            results.append({**item, "error": result.message})
        else:
            results.append({**item, "data": quote_body(result)})
    return {"status": "success", "results": results}


# -------------------------------------------------------------------------------------------- depth
def depth_body(book: Depth) -> dict[str, Any]:
    levels = lambda side: [{"price": l.price, "quantity": int(l.quantity)} for l in Depth.pad(side)]  # noqa: E731,E741
    return {"ltp": book.ltp, "ltq": int(book.ltq), "open": book.open, "high": book.high, "low": book.low,
            "prev_close": book.prev_close, "volume": int(book.volume), "oi": int(book.oi),
            "totalbuyqty": int(book.total_buy_qty), "totalsellqty": int(book.total_sell_qty),
            "bids": levels(book.bids), "asks": levels(book.asks)}


def depth(user_id: int, symbol: str, exchange: str) -> dict[str, Any]:
    live = live_session(user_id)
    instrument = resolve(live, symbol, exchange)
    live.plugin.require("depth")
    return {"status": "success", "data": depth_body(live.plugin.data.depth(live.session, instrument))}


# ------------------------------------------------------------------------------------------ history
def _unit(interval: str) -> str:
    return "calendar" if interval in _CALENDAR else interval[-1]


def _period_end(day: date, interval: str) -> date:
    """The last day of the period `day` belongs to, for cutting windows on bar boundaries."""
    if interval == "W":
        return day + timedelta(days=6 - day.weekday())
    return date(day.year, 12, 31)   # D/M/Q/Y: a year end is a boundary of all of them


def history_windows(interval: str, start: date, end: date, max_days: int) -> Iterator[tuple[date, date]]:
    """Consecutive, non-overlapping inclusive windows of at most `max_days` covering start..end."""
    cursor = start
    while cursor <= end:
        stop = min(end, cursor + timedelta(days=max(1, max_days) - 1))
        if interval in _CALENDAR and stop < end:
            boundary = _period_end(stop, interval)
            if boundary > stop:   # step back to the previous boundary so no bar straddles two windows
                if interval == "W":
                    boundary -= timedelta(days=7)
                else:
                    boundary = date(stop.year - 1, 12, 31)
            stop = boundary if boundary >= cursor else stop
        yield cursor, stop
        cursor = stop + timedelta(days=1)


def stitch(series: Iterable[Iterable[Candle]]) -> CandleColumns:
    """Candles of all windows, ascending, one per timestamp (the later window wins a repeat), as columns
    (a plugin that computes bars in bulk hands them over as columns already: no object per bar)."""
    return CandleColumns.stitch(series)


def _bars_per_day(interval: str) -> float:
    """Bars one day can hold at most (a market open around the clock; calendar intervals: one)."""
    unit = _unit(interval)
    if unit == "calendar":
        return 1.0
    return {"s": 86_400, "m": 1_440, "h": 24}[unit] / int(interval[:-1])


def max_history_days(interval: str) -> int:
    return max(1, min(MAX_HISTORY_DAYS, int(MAX_HISTORY_BARS // _bars_per_day(interval))))


def check_history_range(interval: str, start: date, end: date) -> None:
    """Refuse a range whose bars could exceed MAX_HISTORY_BARS or whose days exceed MAX_HISTORY_DAYS,
    before any broker call: a request's cost is bounded up front, and the 400 says how to ask instead."""
    allowed = max_history_days(interval)
    if (end - start).days + 1 > allowed:
        raise InvalidInput(f"Date range too long for interval {interval}: at most {allowed} days per request "
                           f"(limits: {MAX_HISTORY_BARS} bars, {MAX_HISTORY_DAYS} days); request it in parts",
                           field="start_date")


def fetch_history(live: LiveBroker, instrument: Instrument, interval: str, start: date, end: date) -> CandleColumns:
    live.plugin.require("history")
    if interval not in live.plugin.capabilities.intervals:
        # the contract (and the reference server) answer an interval the broker lacks with a 500
        raise ServiceFailure(f"Unsupported timeframe: {interval}", field="interval")
    end = min(end, now_ist().date())      # no broker call for days that have not happened yet
    check_history_range(interval, start, end)
    limits = live.plugin.capabilities.extras.get("history_max_days")
    if not limits:    # the plugin serves any range itself (e.g. zerodha windows inside its adapter)
        windows = [(start, end)] if start <= end else []
    else:
        max_days = int(limits[_unit(interval)])
        windows = list(history_windows(interval, start, end, max_days))
        if len(windows) > MAX_HISTORY_WINDOWS:
            raise InvalidInput(f"Date range too long for interval {interval}: at most "
                               f"{MAX_HISTORY_WINDOWS * max_days} days per request", field="start_date")
    return stitch(live.plugin.data.history(live.session, HistoryRequest(
        instrument=instrument, interval=interval, start=first, end=last)).candles for first, last in windows)


def history(user_id: int, symbol: str, exchange: str, interval: str, start: date, end: date,
            source: str = "api") -> dict[str, Any]:
    """§6.4's body: one object per bar."""
    candles = history_candles(user_id, symbol, exchange, interval, start, end, source)
    return {"status": "success", "data": candles.rows()}


def history_candles(user_id: int, symbol: str, exchange: str, interval: str, start: date, end: date,
                    source: str = "api") -> CandleColumns:
    """The bars of a history request, as columns (the endpoint writes its JSON straight from them)."""
    if end < start:
        raise InvalidInput("end_date must be on or after start_date", field="end_date")
    if source == "db":
        raise no_stored_history(symbol, exchange, interval)
    check_history_range(interval, start, min(end, now_ist().date()))   # before any other work
    live = live_session(user_id)
    return fetch_history(live, resolve(live, symbol, exchange), interval, start, end)


def no_stored_history(symbol: str, exchange: str, interval: str) -> NotFound:
    """§6.4 `source=db` reads candles stored on this server. None are stored (there is no local candle
    store), so every such request finds nothing: the contract's 404 for "nothing stored", saying so."""
    return NotFound(f"No data found for {symbol}:{exchange} interval {interval} in local database. This "
                    "server keeps no local candle store; use source=api to fetch from the broker.", field="source")


def intervals(user_id: int) -> dict[str, Any]:
    """§6.5: the intervals the user's broker serves, grouped, sorted by their number."""
    live = live_session(user_id)
    supported = [i for i in INTERVALS if i in live.plugin.capabilities.intervals]
    data = {}
    for key, unit in INTERVAL_GROUPS:
        if unit in _CALENDAR:
            data[key] = [i for i in supported if i == unit]
        else:
            data[key] = sorted((i for i in supported if i[-1] == unit and i[:-1].isdigit()),
                               key=lambda i: int(i[:-1]))
    return {"status": "success", "data": data}


# ------------------------------------------------------------------------------------------- ticker
TICKER_INTRADAY_DAYS = 30
TICKER_CALENDAR_DAYS = 3653


def ticker(user_id: int, pair: str, interval: str, start: date, end: date) -> tuple[str, str, CandleColumns]:
    """§6.6: `EXCHANGE:SYMBOL`, range clamped to 30 days (intraday) or 10 years (D/W/M) before `end`."""
    exchange, _, symbol = pair.partition(":")
    if not exchange or not symbol:
        raise InvalidInput("Use /api/v1/ticker/EXCHANGE:SYMBOL, e.g. NSE:INFY", field="ticker")
    exchange, symbol = exchange.upper(), symbol.upper()
    if end < start:
        raise InvalidInput("to must be on or after from", field="to")
    days = TICKER_CALENDAR_DAYS if interval in _CALENDAR else TICKER_INTRADAY_DAYS
    start = max(start, end - timedelta(days=days - 1))
    live = live_session(user_id)
    return exchange, symbol, fetch_history(live, resolve(live, symbol, exchange), interval, start, end)


def ticker_text(exchange: str, symbol: str, interval: str, candles: Iterable[Candle]) -> str:
    """One line per bar, no header; dates and times in IST (daily bars: the bar date)."""
    lines = []
    for c in candles:
        if interval in _CALENDAR:
            stamp = datetime.fromtimestamp(c.timestamp, timezone.utc).strftime("%Y-%m-%d")
        else:
            stamp = datetime.fromtimestamp(c.timestamp, IST).strftime("%Y-%m-%d,%H:%M:%S")
        lines.append(f"{exchange}:{symbol},{stamp},{c.open},{c.high},{c.low},{c.close},{int(c.volume)}")
    return "\n".join(lines) + ("\n" if lines else "")
