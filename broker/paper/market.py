"""Quotes, 5-level depth and candles of the paper market, all read from the one price series.

A quote's `ltp` at instant t is the series at t on the tick grid; `bid`/`ask` straddle it by a spread
that scales with price; the day's open/high/low are the series' first value and extremes since
00:00 IST; `prev_close` is yesterday's last value. A candle is the same series bucketed, so a 1m
candle's high is the highest `ltp` any quote showed in that minute. Indices have no book: bid/ask 0.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

import numpy as np

from broker.paper.instruments import PaperInstrument
from broker.paper.prices import (SECONDS_PER_DAY, cumulative_volume, cumulative_volumes, day_start, epoch_seconds,
                                 series, split_instant, to_tick)

DEPTH_LEVELS = 5
# interval → bucket seconds (intraday) per API_CONTRACT §2.3
INTRADAY_SECONDS = {
    "1s": 1, "5s": 5, "10s": 10, "15s": 15, "30s": 30, "45s": 45,
    "1m": 60, "2m": 120, "3m": 180, "5m": 300, "10m": 600, "15m": 900, "20m": 1200, "30m": 1800,
    "1h": 3600, "2h": 7200, "3h": 10800, "4h": 14400,
}
CALENDAR_INTERVALS = ("D", "W", "M", "Q", "Y")
SUPPORTED_INTERVALS = tuple(INTRADAY_SECONDS) + CALENDAR_INTERVALS
# history ranges are clamped so one request stays fast: second bars 2 days, minute/hour bars 60
# days, calendar bars 3 years
MAX_DAYS = {"s": 2, "m": 60, "h": 60, "calendar": 3 * 366}


@dataclass(frozen=True)
class Book:
    bid: float
    ask: float
    bids: list[dict]
    asks: list[dict]


def _hash_int(*parts: object) -> int:
    return int.from_bytes(hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=6).digest(), "big")


def spread_ticks(inst: PaperInstrument, price: float) -> int:
    share = 0.004 if inst.kind == "option" else 0.0003
    return max(1, int(round(price * share / inst.tick_size)))


def book(inst: PaperInstrument, ltp: float, epoch_second: int) -> Book:
    """Best bid/ask around `ltp` and 5 levels a tick apart, sizes hashed from the instant."""
    if not inst.tradable:
        empty = [{"price": 0.0, "quantity": 0, "orders": 0}] * DEPTH_LEVELS
        return Book(0.0, 0.0, list(empty), list(empty))
    tick = inst.tick_size
    width = spread_ticks(inst, ltp)
    bid = round(max(ltp - (width // 2) * tick, tick), 6)
    ask = round(bid + width * tick, 6)
    if ask < ltp:
        ask = ltp

    def side(best: float, direction: int, label: str) -> list[dict]:
        levels = []
        for level in range(DEPTH_LEVELS):
            level_price = round(best + direction * level * tick, 6)
            seed = _hash_int(inst.token, epoch_second, label, level)
            orders = 1 + seed % 12
            lots = 1 + (seed >> 8) % 40
            levels.append({"price": level_price if level_price > 0 else 0.0,
                           "quantity": lots * inst.lotsize * (1 if inst.lotsize > 1 else 25), "orders": orders})
        return levels

    return Book(bid, ask, side(bid, -1, "bid"), side(ask, 1, "ask"))


@dataclass(frozen=True)
class _DaySoFar:
    """Running figures of one instrument's day up to second `upto` (on the tick grid)."""
    upto: int
    open: float
    high: float
    low: float
    total: float          # sum of the raw prices, for the day's average
    last: float


class _RunningDays:
    """Keeps each instrument's day figures so a new quote only prices the seconds since the last one
    (an option chain re-quoted every few seconds costs little). Bounded; safe across threads."""

    def __init__(self, size: int = 20_000):
        self.size = size
        self._items: OrderedDict[tuple, _DaySoFar] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, inst: PaperInstrument, day: date, second: int, seed: int) -> _DaySoFar:
        key = (inst, day, seed)
        with self._lock:
            known = self._items.get(key)
        if known is not None and known.upto == second:
            return known
        if known is None or known.upto > second:   # first quote of the day, or the clock went back
            known, first = None, 0
        else:
            first = known.upto + 1
        raw = series(inst, day, seed, upto=second, first=first)
        ticked = to_tick(raw, inst.tick_size)
        high, low = float(ticked.max()), float(ticked.min())
        if known is not None:
            high, low = max(high, known.high), min(low, known.low)
        result = _DaySoFar(second, known.open if known else float(ticked[0]), high, low,
                           (known.total if known else 0.0) + float(raw.sum()), float(ticked[-1]))
        with self._lock:
            self._items[key] = result
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return result


_running = _RunningDays()


def reset_caches() -> None:
    """Forget cached day figures (after the price process changed, e.g. a replay was installed)."""
    global _running
    _running = _RunningDays()
    _day_summary.cache_clear()
    _quote_of_second.cache_clear()


def quote(inst: PaperInstrument, at: datetime, seed: int) -> dict:
    """The §6.1 quote plus depth-related extras (bid/ask sizes, last trade size, VWAP, oi)."""
    day, second = split_instant(at)
    return {**_quote_of_second(inst, day, second, seed), "timestamp": int(at.timestamp() * 1000)}


@lru_cache(maxsize=4096)
def _quote_of_second(inst: PaperInstrument, day: date, second: int, seed: int) -> dict:
    """Everything of a quote but its millisecond timestamp. The price process moves once a second, so
    every order and quote of one instrument within a second shares this (callers get a copy)."""
    today = _running.get(inst, day, second, seed)
    ltp = today.last
    last = SECONDS_PER_DAY - 1
    prev_close = float(to_tick(series(inst, day - timedelta(days=1), seed, upto=last, first=last)[0],
                               inst.tick_size))
    epoch_second = epoch_seconds(day, second)
    top = book(inst, ltp, epoch_second)
    volume = cumulative_volume(inst, day, second + 1, seed)   # seconds 0..second, as candles count
    return {
        "ltp": ltp, "open": today.open, "high": today.high, "low": today.low,
        "prev_close": prev_close, "volume": volume, "bid": top.bid, "ask": top.ask,
        "bid_qty": top.bids[0]["quantity"], "ask_qty": top.asks[0]["quantity"],
        "oi": open_interest(inst, day),
        "ltq": inst.lotsize * (1 + _hash_int(inst.token, epoch_second) % 5) if inst.tradable else 0,
        "avg_trade_price": float(to_tick(today.total / (second + 1), inst.tick_size)),
    }


def depth(inst: PaperInstrument, at: datetime, seed: int) -> dict:
    """The §6.3 depth: quote fields plus 5 bid and 5 ask levels, best first."""
    data = quote(inst, at, seed)
    top = book(inst, data["ltp"], int(at.timestamp()))
    return {**{k: data[k] for k in ("ltp", "ltq", "open", "high", "low", "prev_close", "volume", "oi")},
            "totalbuyqty": sum(level["quantity"] for level in top.bids) * 40,
            "totalsellqty": sum(level["quantity"] for level in top.asks) * 40,
            "bids": top.bids, "asks": top.asks, "timestamp": data["timestamp"]}


def open_interest(inst: PaperInstrument, day: date) -> int:
    if inst.kind == "spot" and inst.exchange != "MCX":
        return 0
    return inst.lotsize * (5_000 + _hash_int(inst.token, day.toordinal()) % 50_000)


# ------------------------------------------------------------------------------------------ candles

def _clamp(interval: str, start: date, end: date) -> date:
    unit = "calendar" if interval in CALENDAR_INTERVALS else interval[-1]
    return max(start, end - timedelta(days=MAX_DAYS[unit] - 1))


def _day_bars(inst: PaperInstrument, day: date, bucket: int, upto: int, seed: int) -> list[dict]:
    values = to_tick(series(inst, day, seed, upto=upto), inst.tick_size)
    starts = np.arange(0, upto + 1, bucket)
    ends = np.minimum(starts + bucket, upto + 1)            # exclusive
    highs = np.maximum.reduceat(values, starts)
    lows = np.minimum.reduceat(values, starts)
    volume_at = cumulative_volumes(inst, day, np.append(starts, ends[-1]), seed)
    base = int(day_start(day).timestamp())
    oi = open_interest(inst, day)
    # whole columns to Python lists first: one conversion per column, not one per value
    return [{"timestamp": base + first, "open": open_, "high": high, "low": low, "close": close, "volume": volume,
             "oi": oi}
            for first, open_, high, low, close, volume in zip(
                starts.tolist(), values[starts].tolist(), highs.tolist(), lows.tolist(), values[ends - 1].tolist(),
                np.diff(volume_at).tolist())]


@lru_cache(maxsize=20_000)
def _day_summary(inst: PaperInstrument, day: date, seed: int) -> tuple[float, float, float, float, int]:
    values = to_tick(series(inst, day, seed, upto=SECONDS_PER_DAY - 1), inst.tick_size)
    return (float(values[0]), float(values.max()), float(values.min()), float(values[-1]),
            cumulative_volume(inst, day, SECONDS_PER_DAY, seed))


def _period_start(day: date, interval: str) -> date:
    if interval == "W":
        return day - timedelta(days=day.weekday())
    if interval == "M":
        return day.replace(day=1)
    if interval == "Q":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    if interval == "Y":
        return day.replace(month=1, day=1)
    return day


def candles(inst: PaperInstrument, interval: str, start: date, end: date, now: datetime, seed: int) -> list[dict]:
    """Bars from `start` to `end` (inclusive IST dates), none after `now`; §6.4 timestamp rules."""
    if interval not in SUPPORTED_INTERVALS:
        raise ValueError(f"interval must be one of {', '.join(SUPPORTED_INTERVALS)}")
    today, now_second = split_instant(now)
    end = min(end, today)
    start = _clamp(interval, start, end)
    if start > end:
        return []
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    if interval in INTRADAY_SECONDS:
        bucket = INTRADAY_SECONDS[interval]
        return [bar for day in days
                for bar in _day_bars(inst, day, bucket, now_second if day == today else SECONDS_PER_DAY - 1, seed)]
    return _calendar_bars(inst, interval, days, today, now_second, seed)


def _calendar_bars(inst: PaperInstrument, interval: str, days: list[date], today: date, now_second: int,
                   seed: int) -> list[dict]:
    merged: dict[date, dict] = {}
    for day in days:
        if day == today:
            bar = _day_bars(inst, day, SECONDS_PER_DAY, now_second, seed)[0]
            o, h, l, c, v = bar["open"], bar["high"], bar["low"], bar["close"], bar["volume"]
        else:
            o, h, l, c, v = _day_summary(inst, day, seed)
        key = _period_start(day, interval)
        if key not in merged:
            # daily-and-longer bars are stamped 00:00 UTC of their start date (§6.4)
            stamp = int(datetime(key.year, key.month, key.day, tzinfo=timezone.utc).timestamp())
            merged[key] = {"timestamp": stamp, "open": o, "high": h, "low": l, "close": c, "volume": v,
                           "oi": open_interest(inst, day)}
        else:
            bar = merged[key]
            bar.update(high=max(bar["high"], h), low=min(bar["low"], l), close=c, volume=bar["volume"] + v,
                       oi=open_interest(inst, day))
    return list(merged.values())

