"""The paper market's price process: a pure function of (instrument, instant, seed).

Every process computes the same price for the same instant without sharing state:

* each *driver* (an index, an equity, a commodity future) has a daily anchor, the price at 00:00 IST,
  from a mean-reverting AR(1) on the log price whose daily shocks are hashed from
  (seed, driver, day); the anchor stays within a few percent of the driver's reference level;
* within an IST day the price is built top down so that bars never need the seconds: a Brownian bridge
  at one-minute resolution from today's anchor to tomorrow's gives each minute's open; its close, high
  and low are drawn from the exact laws of a Brownian bridge over the minute (the high and low of a
  bridge from a to b have closed-form distributions); only a quote, a tick or a crossing check fills in
  the seconds, with a path that starts at the minute's open, touches its high and its low at drawn
  seconds, ends at its close and stays between them. So a year of minute bars costs a few
  milliseconds, and a 1m candle's high is still exactly the highest price any quote showed in it;
* index futures are the spot carried at RISK_FREE_RATE to expiry (cost-of-carry forward);
* options are priced with Black-76 on that forward, with a volatility smile in standardised
  log-moneyness, discounted at the same rate: the chain is arbitrage-free by construction and
  put-call parity holds against the forward.

Quotes, depth, candles and streamed ticks all read the same series, so they agree. The simulated day
is the whole IST calendar day (the `always` session); ticks within one second repeat.
"""
from __future__ import annotations

import hashlib
import math
import zlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from statistics import NormalDist
from typing import TYPE_CHECKING, Iterator

import numpy as np

from broker.paper import replay
from broker.paper.calendar import IST
from broker.paper.universe import RISK_FREE_RATE

if TYPE_CHECKING:
    from broker.paper.instruments import PaperInstrument

SECONDS_PER_DAY = 86_400
MINUTES_PER_DAY = 1_440
SECONDS_PER_MINUTE = 60
YEAR_SECONDS = 365 * SECONDS_PER_DAY
_AR_PHI = 0.95            # daily mean reversion of the log deviation from the reference level
_AR_MEMORY = 90           # days of shocks summed for an anchor (0.95**90 ≈ 0.01)
_NORMAL = NormalDist()


# ------------------------------------------------------------------------------------------ time

def split_instant(at: datetime) -> tuple[date, int]:
    """Aware datetime → (IST date, second of that IST day)."""
    local = at.astimezone(IST)
    return local.date(), local.hour * 3600 + local.minute * 60 + local.second


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=IST)


def epoch_seconds(day: date, second: int) -> int:
    return int(day_start(day).timestamp()) + second


# ------------------------------------------------------------------------------------------ draws

# Each day's draws come from np.random.default_rng([..., day, ...]). Building one such generator costs
# about 30 µs, mostly in numpy.random.SeedSequence (a Python-level hash of the seed words), and a year of
# bars needs two a day; `_day_generators` computes the same SeedSequence state for all days at once with
# array operations and reseeds one PCG64 per day instead (tests/paper/test_prices.py compares the draws
# with default_rng's). The algorithms are numpy's documented ones: SeedSequence (a port of M. O'Neill's
# seed_seq: hashmix/mix over a pool of four 32-bit words, then generate_state) and PCG64's seeding
# from four 64-bit words (state and stream increment, pcg_setseq_128_srandom_r in the PCG paper's code).
_MASK32 = 0xFFFF_FFFF
_MASK128 = (1 << 128) - 1
_SEED_POOL = 4
_HASH_INIT_A, _HASH_MULT_A, _HASH_INIT_B, _HASH_MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_MULT_L, _MIX_MULT_R = 0xCA01F9DD, 0x4973F715
_PCG_MULTIPLIER = (2549297995355413924 << 64) + 4865540595714422341


class _HashMix:
    """SeedSequence's hashmix with its running constant (the same for every day: it never sees data)."""

    def __init__(self, start: int, multiplier: int):
        self.constant, self.multiplier = start, multiplier

    def __call__(self, value: np.ndarray) -> np.ndarray:
        value = value ^ self.constant
        self.constant = self.constant * self.multiplier & _MASK32
        value = value * self.constant & _MASK32
        return value ^ (value >> 16)


def _mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    result = (_MIX_MULT_L * x - _MIX_MULT_R * y) & _MASK32
    return result ^ (result >> 16)


def _entropy_words(parts: list[int | None], days: np.ndarray) -> list[np.ndarray]:
    """The 32-bit words SeedSequence reads from the list `parts` with each day in place of None:
    every integer as its little-endian 32-bit words (0 is one word)."""
    words: list[np.ndarray] = []
    for part in parts:
        if part is None:
            if days.size and (int(days.min()) <= 0 or int(days.max()) > _MASK32):
                raise ValueError("day numbers must be 1..2**32-1")
            words.append(days.astype(np.uint64))
            continue
        if part < 0:
            raise ValueError("seed parts must be non-negative")
        while True:
            words.append(np.full(days.size, part & _MASK32, dtype=np.uint64))
            part >>= 32
            if not part:
                break
    return words


def _pcg_states(parts: list[int | None], days: np.ndarray) -> list[tuple[int, int]]:
    """(state, increment) of PCG64(SeedSequence(parts with the day)) for every day."""
    entropy = _entropy_words(parts, days)
    hashmix = _HashMix(_HASH_INIT_A, _HASH_MULT_A)
    zero = np.zeros(days.size, dtype=np.uint64)
    pool = [hashmix(entropy[i] if i < len(entropy) else zero) for i in range(_SEED_POOL)]
    for source in range(_SEED_POOL):
        for target in range(_SEED_POOL):
            if source != target:
                pool[target] = _mix(pool[target], hashmix(pool[source]))
    for source in range(_SEED_POOL, len(entropy)):
        for target in range(_SEED_POOL):
            pool[target] = _mix(pool[target], hashmix(entropy[source]))
    output = _HashMix(_HASH_INIT_B, _HASH_MULT_B)
    words = [output(pool[i % _SEED_POOL]) for i in range(8)]          # generate_state(4, np.uint64)
    halves = [(words[2 * k] | (words[2 * k + 1] << np.uint64(32))).tolist() for k in range(4)]
    states = []
    for high_state, low_state, high_seq, low_seq in zip(*halves):
        increment = (((high_seq << 64) | low_seq) << 1 | 1) & _MASK128
        state = (increment + ((high_state << 64) | low_state)) & _MASK128    # one step from 0, plus the seed
        states.append(((state * _PCG_MULTIPLIER + increment) & _MASK128, increment))
    return states


def _day_generators(parts: list[int | None], days: np.ndarray) -> Iterator[np.random.Generator]:
    """For each day, a generator drawing what np.random.default_rng(parts with the day for None) draws.
    It is one generator reseeded: draw from it before taking the next."""
    bit_generator = np.random.PCG64(0)
    generator = np.random.Generator(bit_generator)
    for state, increment in _pcg_states(parts, days):
        bit_generator.state = {"bit_generator": "PCG64", "state": {"state": state, "inc": increment},
                               "has_uint32": 0, "uinteger": 0}
        yield generator


# ------------------------------------------------------------------------------------------ driver

def _key_hash(key: str) -> int:
    return zlib.crc32(key.encode())


@lru_cache(maxsize=16_384)   # consecutive days' anchors share 89 of their 90 shocks
def _hashed_normal(seed: int, key: str, day: int) -> float:
    digest = hashlib.blake2b(f"{seed}|{key}|{day}".encode(), digest_size=8).digest()
    uniform = (int.from_bytes(digest, "big") + 0.5) / 2**64
    return _NORMAL.inv_cdf(uniform)


@lru_cache(maxsize=4096)
def day_anchor(key: str, reference: float, volatility: float, day: int, seed: int) -> float:
    """Price of a driver at 00:00 IST of the day with ordinal `day`."""
    return float(day_anchors(key, reference, volatility, day, 1, seed)[0])


def day_anchors(key: str, reference: float, volatility: float, first_day: int, count: int,
                seed: int) -> np.ndarray:
    """`day_anchor` of `count` consecutive days at once: a day's deviation is the sum over lags 0..89 of
    0.95**lag · σ_daily · shock(day - lag), added lag by lag (lag 0 first) for all days together, so each
    day gets the very float it would get alone."""
    daily_sigma = volatility / math.sqrt(365)
    first_shock = first_day - _AR_MEMORY + 1
    shocks = np.array([_hashed_normal(seed, key, day) for day in range(first_shock, first_day + count)])
    deviation = np.zeros(count)
    for lag in range(_AR_MEMORY):
        offset = _AR_MEMORY - 1 - lag
        deviation += _AR_PHI ** lag * daily_sigma * shocks[offset: offset + count]
    return np.array([reference * math.exp(value) for value in deviation.tolist()])


@dataclass(frozen=True)
class MinuteBars:
    """Raw (unrounded) prices of a driver's minutes over consecutive days, arrays of shape (days, 1440):
    the minute's first second, its last, its extremes, and the seconds (1..58) the extremes fall on."""
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    high_second: np.ndarray
    low_second: np.ndarray
    end: np.ndarray            # (days,): the price at 24:00, i.e. the next day's open


def _simulated_minutes(key: str, reference: float, volatility: float, first_day: int, count: int,
                       seed: int) -> MinuteBars:
    """The model's minutes (no replay) for days first_day..first_day+count-1; the draws of each day are
    seeded by (seed, driver, day), so a day's minutes do not depend on the range asked for."""
    logs = _log_minutes(key, reference, volatility, first_day, count, seed, seconds=True)
    return MinuteBars(np.exp(logs.open), np.exp(logs.high), np.exp(logs.low), np.exp(logs.close),
                      logs.high_second, logs.low_second, np.exp(logs.end))


def _log_minutes(key: str, reference: float, volatility: float, first_day: int, count: int, seed: int, *,
                 seconds: bool) -> MinuteBars:
    """`_simulated_minutes` in log prices; the seconds of the extremes only when `seconds` (bars need
    none: they are empty arrays then)."""
    anchors = np.log(day_anchors(key, reference, volatility, first_day, count + 1, seed))
    # per day and minute: a normal (the minute's move) and two uniforms (the quantiles of its high and of
    # its low; their low-order bits also pick the seconds the extremes fall on)
    normals = np.empty((count, MINUTES_PER_DAY))
    uniforms = np.empty((count, 2, MINUTES_PER_DAY))
    days = np.arange(first_day, first_day + count)
    for row, rng in enumerate(_day_generators([seed, _key_hash(key), None], days)):
        rng.standard_normal(out=normals[row])
        rng.random(out=uniforms[row])
    high_second = low_second = np.empty((0, MINUTES_PER_DAY), dtype=np.int64)
    if seconds:
        low_bits = (uniforms * 2.0 ** 53).astype(np.int64) & 0xFFFFF
        high_second, low_second = low_bits[:, 0] % 58 + 1, low_bits[:, 1] % 57 + 1    # 1..58 and 1..57
        low_second += low_second >= high_second                                        # never the same second
    np.subtract(1.0, uniforms, out=uniforms)                           # in (0, 1]: the log below is finite
    daily_sigma = volatility / math.sqrt(365)
    walk = np.zeros((count, MINUTES_PER_DAY + 1))
    normals *= daily_sigma / math.sqrt(MINUTES_PER_DAY)
    np.cumsum(normals, axis=1, out=walk[:, 1:])
    fraction = np.linspace(0.0, 1.0, MINUTES_PER_DAY + 1)
    start, finish = anchors[:-1, None], anchors[1:, None]
    boundary = start + walk
    boundary -= fraction * walk[:, -1:]
    boundary += fraction * (finish - start)
    opened = boundary[:, :-1]
    # the minute's last second: 59/60 of the way to the next minute's open
    last = SECONDS_PER_MINUTE - 1
    step = boundary[:, 1:] - opened
    step *= last / SECONDS_PER_MINUTE
    closed = step
    closed += opened
    # extremes of a Brownian bridge from a to b over time T: (a + b ± sqrt((b - a)² - 2 σ² T ln U)) / 2
    second_sigma = daily_sigma / math.sqrt(SECONDS_PER_DAY)
    gap, middle, variance = closed - opened, opened + closed, second_sigma ** 2 * last
    gap *= gap
    spread = np.log(uniforms)
    spread *= 2 * variance
    np.subtract(gap[:, None], spread, out=spread)
    np.sqrt(spread, out=spread)
    high = middle + spread[:, 0]
    high /= 2
    low = np.subtract(middle, spread[:, 1], out=middle)
    low /= 2
    return MinuteBars(opened, high, low, closed, high_second, low_second, anchors[1:])


def _knotted(values: np.ndarray, first: np.ndarray, second: np.ndarray, first_at: np.ndarray,
             second_at: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Per minute (row), the piecewise-linear line through (0, values[:, 0]), (first_at, first),
    (second_at, second), (59, last) at every second 0..59; first_at < second_at."""
    at = np.arange(SECONDS_PER_MINUTE)[None, :]
    a, b = first_at[:, None], second_at[:, None]
    start, p, q, end = values[:, :1], first[:, None], second[:, None], last[:, None]
    return np.where(at <= a, start + (p - start) * at / a,
                    np.where(at <= b, p + (q - p) * (at - a) / (b - a),
                             q + (end - q) * (at - b) / (SECONDS_PER_MINUTE - 1 - b)))


def _seconds_of(minutes: MinuteBars, key: str, day: int, volatility: float, seed: int) -> np.ndarray:
    """One day's per-second prices (86,401 points) inside its minute bars (row 0 of `minutes`): random
    wiggles between the minute's open, its extremes at their seconds and its close, kept inside them."""
    rows = np.arange(MINUTES_PER_DAY)
    o, h, l, c = minutes.open[0], minutes.high[0], minutes.low[0], minutes.close[0]
    hs, ls = minutes.high_second[0], minutes.low_second[0]
    first_at, second_at = np.minimum(hs, ls), np.maximum(hs, ls)
    first = np.where(hs < ls, h, l)
    second = np.where(hs < ls, l, h)
    rng = np.random.default_rng([seed, _key_hash(key), day, 1])
    second_sigma = volatility / math.sqrt(365) / math.sqrt(SECONDS_PER_DAY)
    walk = np.cumsum(rng.standard_normal((MINUTES_PER_DAY, SECONDS_PER_MINUTE)) * second_sigma, axis=1)
    # the walk bent (piecewise linearly, so its wiggles stay) to pass through the minute's four knots
    shift = _knotted(np.log(o)[:, None] - walk[:, :1], np.log(first) - walk[rows, first_at],
                     np.log(second) - walk[rows, second_at], first_at, second_at, np.log(c) - walk[:, -1])
    path = np.clip(np.exp(walk + shift), l[:, None], h[:, None])
    path[:, 0], path[:, -1] = o, c
    path[rows, hs], path[rows, ls] = h, l            # the very values the minute bars carry
    return np.append(path.ravel(), minutes.end[0])


@lru_cache(maxsize=64)
def driver_path(key: str, reference: float, volatility: float, day: int, seed: int) -> np.ndarray:
    """Per-second prices of a driver over one IST day: 86,401 points, the last one = tomorrow's open."""
    path = _seconds_of(_simulated_minutes(key, reference, volatility, day, 1, seed), key, day, volatility, seed)
    if key in replay.ACTIVE:
        path = replay.overlay(path, replay.ACTIVE[key])
    path.setflags(write=False)
    return path


def _minutes_of_seconds(paths: list[np.ndarray]) -> MinuteBars:
    """Minute bars read off per-second paths (a replayed driver, a derivative)."""
    shaped = np.stack([path[:SECONDS_PER_DAY].reshape(MINUTES_PER_DAY, SECONDS_PER_MINUTE) for path in paths])
    return MinuteBars(shaped[:, :, 0], shaped.max(axis=2), shaped.min(axis=2), shaped[:, :, -1],
                      shaped.argmax(axis=2), shaped.argmin(axis=2), np.array([path[-1] for path in paths]))


def minute_bars(inst: "PaperInstrument", first_day: date, count: int, seed: int) -> MinuteBars:
    """Raw minute bars of `inst` for `count` days from `first_day`: straight from the model for a driver
    (equities, indices, MCX futures), from the seconds for a replayed driver or a derivative."""
    key = inst.driver_key
    if inst.kind == "spot" and key not in replay.ACTIVE:
        return _simulated_minutes(key, inst.reference_price, inst.volatility, first_day.toordinal(), count, seed)
    days = [first_day + timedelta(days=offset) for offset in range(count)]
    return _minutes_of_seconds([series(inst, day, seed) for day in days])


def bucket_prices(inst: "PaperInstrument", first_day: date, count: int, bucket_minutes: int,
                  seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Raw (open, high, low, close) of every `bucket_minutes` bar of `count` whole days from `first_day`,
    each of shape (days, bars per day). A simulated driver's minutes are reduced in log prices and only
    the bars' own prices exponentiated: exp is monotonic, so the highest exp is the exp of the highest
    log, the same float `minute_bars` gives, for a fraction of the work."""
    shape = (count, MINUTES_PER_DAY // bucket_minutes, bucket_minutes)
    key = inst.driver_key
    if inst.kind == "spot" and key not in replay.ACTIVE:
        minutes = _log_minutes(key, inst.reference_price, inst.volatility, first_day.toordinal(), count, seed,
                               seconds=False)
        scale = np.exp
    else:
        minutes, scale = minute_bars(inst, first_day, count, seed), np.asarray
    return (scale(minutes.open.reshape(shape)[:, :, 0]), scale(_along_bar(np.maximum, minutes.high.reshape(shape))),
            scale(_along_bar(np.minimum, minutes.low.reshape(shape))), scale(minutes.close.reshape(shape)[:, :, -1]))


def _along_bar(pick: np.ufunc, values: np.ndarray) -> np.ndarray:
    """`pick` (np.maximum, np.minimum, np.add on integers: exact in any order) over the last axis; a
    short axis (a few minutes a bar) one position at a time, which numpy runs far faster than a
    reduction of a few elements per bar."""
    if values.shape[-1] > 16:
        return pick.reduce(values, axis=-1)
    result = values[..., 0].copy()
    for position in range(1, values.shape[-1]):
        pick(result, values[..., position], out=result)
    return result


# ------------------------------------------------------------------------------------------ models

def black76(forward: np.ndarray | float, strike: float, tau: np.ndarray | float, sigma: np.ndarray | float,
            option_type: str, rate: float = RISK_FREE_RATE) -> np.ndarray:
    """Black-76 price of a European option on a forward; intrinsic value once tau <= 0."""
    from scipy.special import ndtr  # imported on first use: keeps the app's start-up light

    forward = np.asarray(forward, dtype=float)
    tau = np.broadcast_to(np.asarray(tau, dtype=float), forward.shape)
    sigma = np.broadcast_to(np.asarray(sigma, dtype=float), forward.shape)
    live = tau > 0
    safe_tau = np.where(live, tau, 1.0)
    vol_sqrt = sigma * np.sqrt(safe_tau)
    d1 = (np.log(forward / strike) + 0.5 * vol_sqrt ** 2) / vol_sqrt
    d2 = d1 - vol_sqrt
    discount = np.exp(-rate * np.where(live, tau, 0.0))
    if option_type == "CE":
        value = discount * (forward * ndtr(d1) - strike * ndtr(d2))
        intrinsic = np.maximum(forward - strike, 0.0)
    else:
        value = discount * (strike * ndtr(-d2) - forward * ndtr(-d1))
        intrinsic = np.maximum(strike - forward, 0.0)
    return np.where(live, value, intrinsic)


def smile_volatility(atm: float, forward: np.ndarray | float, strike: float, tau: np.ndarray | float) -> np.ndarray:
    """Implied volatility with a gentle smile and a put skew, in standardised log-moneyness."""
    forward = np.asarray(forward, dtype=float)
    tau = np.maximum(np.asarray(tau, dtype=float), 1 / 365)
    moneyness = np.clip(np.log(strike / forward) / (atm * np.sqrt(tau)), -4.0, 4.0)
    return atm * (1.0 + 0.04 * moneyness ** 2 - 0.05 * moneyness)


def years_to_expiry(expiry_epoch: int, epochs: np.ndarray | float) -> np.ndarray:
    return (expiry_epoch - np.asarray(epochs, dtype=float)) / YEAR_SECONDS


# ------------------------------------------------------------------------------------------ series

def _driver_series(inst: "PaperInstrument", day: date, seed: int) -> np.ndarray:
    return driver_path(inst.driver_key, inst.reference_price, inst.volatility, day.toordinal(), seed)


def series(inst: "PaperInstrument", day: date, seed: int, upto: int = SECONDS_PER_DAY,
           first: int = 0) -> np.ndarray:
    """Unrounded prices of `inst` for seconds first..upto of the IST `day`."""
    return _derived(inst, _driver_series(inst, day, seed)[first: upto + 1], day, first)


def day_close(inst: "PaperInstrument", day: date, seed: int) -> float:
    """Unrounded price at the last second of `day` (yesterday's close of a quote), from the minute bars:
    no per-second path is built for it."""
    spot = minute_bars(_spot_of(inst), day, 1, seed).close[0, -1:]
    return float(_derived(inst, spot, day, SECONDS_PER_DAY - 1)[0])


def _spot_of(inst: "PaperInstrument") -> "PaperInstrument":
    """The instrument whose minute bars are the driver's (a derivative's driver is a spot series)."""
    if inst.kind == "spot":
        return inst
    from dataclasses import replace
    return replace(inst, kind="spot")


def _derived(inst: "PaperInstrument", spot: np.ndarray, day: date, first: int) -> np.ndarray:
    """A derivative's prices from its driver's (`spot` holds seconds first.. of `day`); spot as is."""
    if inst.kind == "spot":
        return spot
    epochs = epoch_seconds(day, first) + np.arange(spot.size)
    tau = years_to_expiry(inst.expiry_epoch, epochs)
    carry = RISK_FREE_RATE if inst.carry is None else inst.carry
    forward = spot * np.exp(carry * np.maximum(tau, 0.0))
    if inst.kind == "future":
        return forward
    sigma = smile_volatility(inst.volatility, forward, inst.strike, tau)
    return black76(forward, inst.strike, tau, sigma, inst.option_type)


def raw_price(inst: "PaperInstrument", at: datetime, seed: int) -> float:
    day, second = split_instant(at)
    return float(series(inst, day, seed, upto=second, first=second)[-1])


def to_tick(value: np.ndarray | float, tick: float) -> np.ndarray:
    """Round to the instrument's tick (never below one tick for tradables that have a price)."""
    ticks = np.maximum(np.round(np.asarray(value, dtype=float) / tick), 1)
    return np.round(ticks * tick, 6)


def price(inst: "PaperInstrument", at: datetime, seed: int) -> float:
    """Last traded price at `at`, on the tick grid."""
    return float(to_tick(raw_price(inst, at, seed), inst.tick_size))


def price_range(inst: "PaperInstrument", start: datetime, end: datetime, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(epoch seconds, prices on the tick grid) for every second in (start, end]; for crossing checks.

    Looks back at most to the start of the day before `end`, so a long-idle order costs little."""
    epochs: list[np.ndarray] = []
    values: list[np.ndarray] = []
    start_day, start_second = split_instant(start)
    end_day, end_second = split_instant(end)
    day = start_day
    if day < end_day - timedelta(days=1):
        day, start_second = end_day - timedelta(days=1), -1
    while day <= end_day:
        first = start_second + 1 if day == start_day else 0
        last = end_second if day == end_day else SECONDS_PER_DAY - 1
        if last >= first:
            values.append(to_tick(series(inst, day, seed, upto=last, first=first), inst.tick_size))
            epochs.append(epoch_seconds(day, first) + np.arange(last - first + 1))
        day += timedelta(days=1)
    if not values:
        return np.empty(0, dtype=np.int64), np.empty(0)
    return np.concatenate(epochs), np.concatenate(values)


# ------------------------------------------------------------------------------------------ volume

def _minute_lots(token: str, daily_volume: int, lotsize: int, first_day: int, count: int, seed: int) -> np.ndarray:
    """Lots traded in each minute of `count` days from the day with ordinal `first_day`, shape (days, 1440)."""
    days = np.arange(first_day, first_day + count)
    shares = np.stack([rng.uniform(0.3, 1.7, 1440) for rng in _day_generators([seed, _key_hash(token), None, 7], days)])
    return np.floor(daily_volume / 1440 * shares / lotsize).astype(np.int64)


@lru_cache(maxsize=512)
def _minute_volume_curve(token: str, daily_volume: int, lotsize: int, day: int, seed: int) -> np.ndarray:
    """Cumulative traded volume at each whole minute of a day (1441 points), in whole lots."""
    if daily_volume <= 0:
        return np.zeros(1441, dtype=np.int64)
    return np.concatenate(([0], np.cumsum(_minute_lots(token, daily_volume, lotsize, day, 1, seed)[0] * lotsize)))


def bucket_volumes(inst: "PaperInstrument", first_day: date, count: int, bucket_minutes: int,
                   seed: int) -> np.ndarray:
    """Volume of every `bucket_minutes` bar of `count` whole days, shape (days, bars per day): what
    `cumulative_volumes` gives at the bars' bounds, without building (and caching) a curve per day."""
    shape = (count, MINUTES_PER_DAY // bucket_minutes, bucket_minutes)
    if inst.daily_volume <= 0:
        return np.zeros(shape[:2], dtype=np.int64)
    lots = _minute_lots(inst.seed_key, inst.daily_volume, inst.lotsize, first_day.toordinal(), count, seed)
    return _along_bar(np.add, lots.reshape(shape)) * inst.lotsize


def cumulative_volume(inst: "PaperInstrument", day: date, second: int, seed: int) -> int:
    """Traded volume of the day up to `second` (whole minutes plus the running minute pro rata)."""
    return int(cumulative_volumes(inst, day, np.array([second]), seed)[0])


def cumulative_volumes(inst: "PaperInstrument", day: date, seconds: np.ndarray, seed: int) -> np.ndarray:
    """`cumulative_volume` at many seconds of one day at once (for bars)."""
    curve = _minute_volume_curve(inst.seed_key, inst.daily_volume, inst.lotsize, day.toordinal(), seed)
    done, into = np.divmod(np.minimum(seconds, SECONDS_PER_DAY), 60)
    minute = np.minimum(done, 1439)
    running = (curve[minute + 1] - curve[minute]) * into // 60 // inst.lotsize * inst.lotsize
    return np.where(done >= 1440, curve[-1], curve[minute] + running)
