"""The dashboard's intraday P&L curve: today's trades marked to market on 5-minute candles.

At each candle close t: P&L(t) = Σ per symbol (cash from the trades filled by t) + (net quantity by t) ×
close(t). Quantities count units of the underlying: a trade's quantity × its contract multiplier (a USDINR
contract counted as 1 is USD 1,000: in the sandbox as the paper engine books it, at a live broker from the
symbol's master-contract row, see books.trade_fills), at the fill's exact price where the plugin gives one
(the engine's, not the book's 2 decimals), so the curve agrees with the realised and unrealised P&L.
Positions carried from earlier days are not part of the curve (it shows today's trading).
Trades come from the same trade book as the API; candles from the market-data service (the connected
broker's history), so analyzer-mode trades are priced with the same candles.
"""
from __future__ import annotations

import threading
import time
from collections import defaultdict
from datetime import datetime
from typing import Any

from services import books, market_data
from utils.errors import DomainError
from utils.market_calendar import IST, now_ist

INTERVAL = "5m"
BAR_SECONDS = 300
MAX_SYMBOLS = 20
CACHE_SECONDS = 30.0  # candles are fetched from the broker at most this often per user and set of trades
_cache: dict[int, tuple[float, tuple, dict[str, Any]]] = {}
_cache_lock = threading.Lock()
_FORMATS = ("%d-%b-%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


def trade_epoch(stamp: str, today: datetime) -> float:
    """Epoch seconds of a trade-book timestamp (IST wall clock); unknown formats count as midnight."""
    for fmt in _FORMATS:
        try:
            return datetime.strptime(stamp.strip(), fmt).replace(tzinfo=IST).timestamp()
        except (ValueError, AttributeError):
            continue
    return today.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def curve(trades: list[dict[str, Any]], candles: dict[tuple[str, str], list[dict[str, Any]]],
          today: datetime) -> list[dict[str, float]]:
    """Pure: the P&L points [{"time", "value"}] of `trades` over `candles` per (symbol, exchange)."""
    fills = defaultdict(list)
    for trade in trades:
        sign = 1 if trade["action"] == "BUY" else -1
        fills[(trade["symbol"], trade["exchange"])].append(
            (trade_epoch(trade["timestamp"], today), sign * _units(trade), _price(trade)))
    times = sorted({int(c["timestamp"]) for series in candles.values() for c in series})
    points = []
    for start in times:
        end = start + BAR_SECONDS
        total = 0.0
        for key, legs in fills.items():
            done = [(qty, price) for at, qty, price in legs if at < end]
            if not done:
                continue
            close = _close_at(candles.get(key, []), start)
            if close is None:
                continue
            net = sum(qty for qty, _ in done)
            total += -sum(qty * price for qty, price in done) + net * close
        points.append({"time": start, "value": round(total, 2)})
    return points


def _units(trade: dict[str, Any]) -> float:
    return float(trade["quantity"]) * float(trade.get("multiplier") or 1.0)


def _price(trade: dict[str, Any]) -> float:
    """The fill's exact price where the trade book has one (`price`), else its 2-decimal average."""
    return float(trade.get("price") or trade["average_price"])


def _close_at(series: list[dict[str, Any]], start: int) -> float | None:
    last = None
    for candle in series:
        if int(candle["timestamp"]) > start:
            break
        last = float(candle["close"])
    return last


def intraday(user_id: int) -> dict[str, Any]:
    """{"points": [...], "note": why it may be empty}."""
    try:
        body = books.trade_fills(user_id)
    except DomainError as exc:
        return {"points": [], "note": exc.message}
    today_ist = now_ist()
    midnight = today_ist.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    trades = [t for t in body["data"] if trade_epoch(str(t.get("timestamp") or ""), today_ist) >= midnight]
    if not trades:
        return {"points": [], "note": "No trades today yet."}
    key = tuple(sorted((t.get("orderid"), t["quantity"], t["average_price"]) for t in trades))
    with _cache_lock:
        cached = _cache.get(user_id)
    if cached and cached[1] == key and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[2]
    result = _priced(user_id, trades, today_ist)
    with _cache_lock:
        _cache[user_id] = (time.monotonic(), key, result)
    return result


def _priced(user_id: int, trades: list[dict[str, Any]], today_ist: datetime) -> dict[str, Any]:
    symbols = sorted({(t["symbol"], t["exchange"]) for t in trades})[:MAX_SYMBOLS]
    candles = {}
    try:
        for symbol, exchange in symbols:
            history = market_data.history(user_id, symbol, exchange, INTERVAL, today_ist.date(), today_ist.date())
            candles[(symbol, exchange)] = history["data"]
    except DomainError as exc:
        return {"points": [], "note": f"Prices unavailable: {exc.message}"}
    return {"points": curve(trades, candles, today_ist), "note": ""}
