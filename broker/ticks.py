"""Normalized market-data ticks and their one wire form (API contract §13.5).

Every streaming adapter turns its broker's frames into `FeedTick` objects; this module turns a tick into the
exact `market_data` message the `openalgo` client reads (SDK field names, integer `mode`) and names the
ZeroMQ topic it travels on. The message is encoded here once per tick and mode, so the proxy forwards
bytes and never re-encodes per recipient.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

LTP, QUOTE, DEPTH = 1, 2, 3
MODE_LABELS = {LTP: "LTP", QUOTE: "Quote", DEPTH: "Depth"}
_MODE_BY_LABEL = {label.lower(): mode for mode, label in MODE_LABELS.items()}
_TOPIC_MODE = {LTP: "LTP", QUOTE: "QUOTE", DEPTH: "DEPTH"}
DEFAULT_DEPTH = 5
_EMPTY_LEVEL = {"price": 0, "quantity": 0, "orders": 0}


def parse_mode(value: Any, default: int = QUOTE) -> int | None:
    """1/2/3 (int or digit string) or the labels LTP/Quote/Depth in any case; None when invalid."""
    if value is None:
        return default
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value in MODE_LABELS else None
    if isinstance(value, str):
        text = value.strip().lower()
        if text.isdigit():
            return parse_mode(int(text), default)
        return _MODE_BY_LABEL.get(text)
    return None


def topic_for(broker: str, exchange: str, symbol: str, mode: int) -> str:
    """The bus topic `BROKER_EXCHANGE_SYMBOL_MODE`, e.g. `paper_NSE_SBIN_LTP`."""
    return f"{broker}_{exchange}_{symbol}_{_TOPIC_MODE[mode]}"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(slots=True)
class FeedTick:
    """One update for one instrument, in unified fields. `mode` is how rich it is: a DEPTH tick carries
    the book (and usually the quote), so it also serves LTP and Quote subscribers."""

    exchange: str
    symbol: str
    ltp: float
    mode: int = LTP
    timestamp: int = 0          # epoch ms when produced; filled with now when 0
    ltt: int | None = None      # exchange last-trade time, epoch ms
    open: float = 0.0
    high: float = 0.0
    low: float = 0.0
    close: float = 0.0          # previous session close
    volume: int = 0
    last_trade_quantity: int = 0
    avg_trade_price: float = 0.0
    oi: int | None = None
    total_buy_quantity: int | None = None
    total_sell_quantity: int | None = None
    upper_circuit: float | None = None
    lower_circuit: float | None = None
    bids: list[tuple[float, int, int]] = field(default_factory=list)  # (price, quantity, orders), best first
    asks: list[tuple[float, int, int]] = field(default_factory=list)


def _levels(levels: list[tuple[float, int, int]], count: int) -> list[dict[str, Any]]:
    rows = [{"price": p, "quantity": q, "orders": o} for p, q, o in levels[:max(count, len(levels))]]
    rows.extend(dict(_EMPTY_LEVEL) for _ in range(count - len(rows)))
    return rows


def _quote_fields(tick: FeedTick) -> dict[str, Any]:
    change = round(tick.ltp - tick.close, 4) if tick.close else 0.0
    data: dict[str, Any] = {
        "ltp": tick.ltp, "open": tick.open, "high": tick.high, "low": tick.low, "close": tick.close,
        "volume": tick.volume, "last_trade_quantity": tick.last_trade_quantity,
        "avg_trade_price": tick.avg_trade_price, "change": change,
        "change_percent": round(change / tick.close * 100, 4) if tick.close else 0.0,
        "timestamp": tick.timestamp,
    }
    for name in ("ltt", "oi", "total_buy_quantity", "total_sell_quantity", "upper_circuit", "lower_circuit"):
        value = getattr(tick, name)
        if value is not None:
            data[name] = value
    return data


def market_data(tick: FeedTick, mode: int, broker: str, depth: int = DEFAULT_DEPTH) -> dict[str, Any]:
    """The contract's `market_data` message for `tick` as seen by a `mode` subscriber."""
    if not tick.timestamp:
        tick.timestamp = now_ms()
    if mode == LTP:
        data: dict[str, Any] = {"ltp": tick.ltp, "timestamp": tick.timestamp}
        if tick.ltt is not None:
            data["ltt"] = tick.ltt
    else:
        data = _quote_fields(tick)
        if mode == DEPTH:
            data["depth"] = {"buy": _levels(tick.bids, depth), "sell": _levels(tick.asks, depth)}
    return {"type": "market_data", "symbol": tick.symbol, "exchange": tick.exchange, "mode": mode,
            "broker": broker, "data": data}


def encode(message: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON, sent as a text frame without further work."""
    return json.dumps(message, separators=(",", ":"), allow_nan=False).encode()
