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

from broker.contract import Candle
from broker.contract.columns import CandleColumns
from broker.paper.instruments import PaperInstrument
from broker.paper.prices import (MINUTES_PER_DAY, SECONDS_PER_DAY, SECONDS_PER_MINUTE, bucket_prices,
                                 bucket_volumes, cumulative_volume, cumulative_volumes, day_close, epoch_seconds,
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
            seed = _hash_int(inst.seed_key, epoch_second, label, level)
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


class _PastBars:
    """Bars of windows that lie wholly in the past, by (instrument, interval, first day, last day, seed):
    they never change, and a backtest asks for the same range again and again. Kept with their JSON
    text, bounded by the bytes both hold (HISTORY_CACHE_BYTES per process); least recently used
    windows go first."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple, CandleColumns] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> CandleColumns | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple, bars: CandleColumns) -> None:
        bars.json()        # written now, while caching: every later request reuses the text
        size = bars.nbytes
        if size > self.max_bytes:
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = bars
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= dropped.nbytes


HISTORY_CACHE_BYTES = 96 * 1024 * 1024     # about 5 symbol-years of 5m bars
_running = _RunningDays()
_past_bars = _PastBars(HISTORY_CACHE_BYTES)


def reset_caches() -> None:
    """Forget cached day figures and bars (after the price process changed, e.g. a replay was installed)."""
    global _running, _past_bars
    _running = _RunningDays()
    _past_bars = _PastBars(HISTORY_CACHE_BYTES)
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
    prev_close = float(to_tick(day_close(inst, day - timedelta(days=1), seed), inst.tick_size))
    epoch_second = epoch_seconds(day, second)
    top = book(inst, ltp, epoch_second)
    volume = cumulative_volume(inst, day, second + 1, seed)   # seconds 0..second, as candles count
    return {
        "ltp": ltp, "open": today.open, "high": today.high, "low": today.low,
        "prev_close": prev_close, "volume": volume, "bid": top.bid, "ask": top.ask,
        "bid_qty": top.bids[0]["quantity"], "ask_qty": top.asks[0]["quantity"],
        "oi": open_interest(inst, day),
        "ltq": inst.lotsize * (1 + _hash_int(inst.seed_key, epoch_second) % 5) if inst.tradable else 0,
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
    return inst.lotsize * (5_000 + _hash_int(inst.seed_key, day.toordinal()) % 50_000)


# ------------------------------------------------------------------------------------------ candles

def _clamp(interval: str, start: date, end: date) -> date:
    unit = "calendar" if interval in CALENDAR_INTERVALS else interval[-1]
    return max(start, end - timedelta(days=MAX_DAYS[unit] - 1))


def _bars_of_seconds(inst: PaperInstrument, day: date, bucket: int, upto: int, seed: int) -> CandleColumns:
    """One day's bars of `bucket` seconds up to second `upto`, from the per-second series (second bars,
    and today's bars, whose last one is still forming)."""
    values = to_tick(series(inst, day, seed, upto=upto), inst.tick_size)
    starts = np.arange(0, upto + 1, bucket)
    ends = np.minimum(starts + bucket, upto + 1)            # exclusive
    volume_at = cumulative_volumes(inst, day, np.append(starts, ends[-1]), seed)
    return CandleColumns(epoch_seconds(day, 0) + starts, values[starts], np.maximum.reduceat(values, starts),
                         np.minimum.reduceat(values, starts), values[ends - 1], np.diff(volume_at),
                         np.full(starts.size, open_interest(inst, day)))


def _bars_of_minutes(inst: PaperInstrument, first_day: date, count: int, bucket_minutes: int,
                     seed: int) -> CandleColumns:
    """Whole days' bars of whole minutes from the minute bars (no per-second work): the rounding to the
    tick grid is monotonic, so a bar's rounded high is the rounding of its raw high."""
    tick = inst.tick_size
    opens, highs, lows, closes = (to_tick(values, tick) for values in
                                  bucket_prices(inst, first_day, count, bucket_minutes, seed))
    per_day = MINUTES_PER_DAY // bucket_minutes
    days = [first_day + timedelta(days=offset) for offset in range(count)]
    day_starts = np.array([epoch_seconds(day, 0) for day in days], dtype=np.int64)
    offsets = np.arange(per_day) * bucket_minutes * SECONDS_PER_MINUTE
    volumes = bucket_volumes(inst, first_day, count, bucket_minutes, seed)
    oi = np.repeat([open_interest(inst, day) for day in days], per_day)
    return CandleColumns((day_starts[:, None] + offsets[None, :]).ravel(), opens.ravel(), highs.ravel(),
                         lows.ravel(), closes.ravel(), volumes.ravel(), oi)


def _intraday_bars(inst: PaperInstrument, bucket: int, start: date, end: date, today: date, now_second: int,
                   seed: int) -> CandleColumns:
    parts = []
    whole_minutes = bucket % SECONDS_PER_MINUTE == 0 and MINUTES_PER_DAY % (bucket // SECONDS_PER_MINUTE) == 0
    day = start
    while day <= end:
        if day == today or not whole_minutes:
            upto = now_second if day == today else SECONDS_PER_DAY - 1
            parts.append(_bars_of_seconds(inst, day, bucket, upto, seed))
            day += timedelta(days=1)
            continue
        count = min((end - day).days + 1, (today - day).days, _DAYS_PER_BATCH)
        parts.append(_bars_of_minutes(inst, day, count, bucket // SECONDS_PER_MINUTE, seed))
        day += timedelta(days=count)
    return CandleColumns.stitch(parts)


_DAYS_PER_BATCH = 64     # days of minute bars computed at once (bounds the working memory)


def _day_summaries(inst: PaperInstrument, first_day: date, count: int, seed: int) -> list[tuple]:
    """(open, high, low, close, volume) of whole past days, from their minute bars."""
    tick = inst.tick_size
    opens, highs, lows, closes = (to_tick(values[:, 0], tick) for values in
                                  bucket_prices(inst, first_day, count, MINUTES_PER_DAY, seed))
    volumes = bucket_volumes(inst, first_day, count, MINUTES_PER_DAY, seed)[:, 0].tolist()
    return [(float(o), float(h), float(l), float(c), v)
            for o, h, l, c, v in zip(opens, highs, lows, closes, volumes)]


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
    return candle_columns(inst, interval, start, end, now, seed).rows()


def candle_columns(inst: PaperInstrument, interval: str, start: date, end: date, now: datetime,
                   seed: int) -> CandleColumns:
    """`candles` as columns (what the history endpoint serves)."""
    if interval not in SUPPORTED_INTERVALS:
        raise ValueError(f"interval must be one of {', '.join(SUPPORTED_INTERVALS)}")
    today, now_second = split_instant(now)
    end = min(end, today)
    start = _clamp(interval, start, end)
    if start > end:
        return CandleColumns.empty()
    key = (inst, interval, start, end, seed)
    past = end < today          # then the bars are a pure function of the key, whatever the clock says
    bars = _past_bars.get(key) if past else None
    if bars is None:
        if interval in INTRADAY_SECONDS:
            bars = _intraday_bars(inst, INTRADAY_SECONDS[interval], start, end, today, now_second, seed)
        else:
            bars = _calendar_bars(inst, interval, start, end, today, now_second, seed)
        if past:
            bars.freeze()
            _past_bars.put(key, bars)
    return bars


def _calendar_bars(inst: PaperInstrument, interval: str, start: date, end: date, today: date, now_second: int,
                   seed: int) -> CandleColumns:
    summaries = []
    day = start
    while day <= end:
        if day == today:
            bar = _bars_of_seconds(inst, day, SECONDS_PER_DAY, now_second, seed)[0]
            summaries.append((bar.open, bar.high, bar.low, bar.close, bar.volume))
            day += timedelta(days=1)
            continue
        count = min((end - day).days + 1, (today - day).days, _DAYS_PER_BATCH)
        summaries += _day_summaries(inst, day, count, seed)
        day += timedelta(days=count)
    merged: dict[date, dict] = {}
    for offset, (o, h, l, c, v) in enumerate(summaries):
        day = start + timedelta(days=offset)
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
    return CandleColumns.from_candles(Candle(**bar) for bar in merged.values())
