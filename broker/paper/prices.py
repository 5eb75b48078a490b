"""The paper market's price process: a pure function of (instrument, instant, seed).

Every process computes the same price for the same instant without sharing state:

* each *driver* (an index, an equity, a commodity future) has a daily anchor, the price at 00:00 IST,
  from a mean-reverting AR(1) on the log price whose daily shocks are hashed from
  (seed, driver, day); the anchor stays within a few percent of the driver's reference level;
* within an IST day the price follows a Brownian bridge at one-second resolution from today's anchor
  to tomorrow's (seeded by seed, driver, day), so days join up with no gaps;
* index futures are the spot carried at RISK_FREE_RATE to expiry (cost-of-carry forward);
* options are priced with Black-76 on that forward, with a volatility smile in standardised
  log-moneyness, discounted at the same rate: the chain is arbitrage-free by construction and
  put-call parity holds against the forward.

Quotes, depth, candles and streamed ticks all read the same per-second series, so they agree. The
simulated day is the whole IST calendar day (the `always` session); ticks within one second repeat.
"""
from __future__ import annotations

import hashlib
import math
import zlib
from datetime import date, datetime, timedelta
from functools import lru_cache
from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np

from broker.paper import replay
from broker.paper.calendar import IST
from broker.paper.universe import RISK_FREE_RATE

if TYPE_CHECKING:
    from broker.paper.instruments import PaperInstrument

SECONDS_PER_DAY = 86_400
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


# ------------------------------------------------------------------------------------------ driver

def _key_hash(key: str) -> int:
    return zlib.crc32(key.encode())


def _hashed_normal(seed: int, key: str, day: int) -> float:
    digest = hashlib.blake2b(f"{seed}|{key}|{day}".encode(), digest_size=8).digest()
    uniform = (int.from_bytes(digest, "big") + 0.5) / 2**64
    return _NORMAL.inv_cdf(uniform)


@lru_cache(maxsize=4096)
def day_anchor(key: str, reference: float, volatility: float, day: int, seed: int) -> float:
    """Price of a driver at 00:00 IST of the day with ordinal `day`."""
    daily_sigma = volatility / math.sqrt(365)
    deviation = sum(_AR_PHI ** lag * daily_sigma * _hashed_normal(seed, key, day - lag)
                    for lag in range(_AR_MEMORY))
    return reference * math.exp(deviation)


@lru_cache(maxsize=64)
def driver_path(key: str, reference: float, volatility: float, day: int, seed: int) -> np.ndarray:
    """Per-second prices of a driver over one IST day: 86,401 points, the last one = tomorrow's open."""
    start = math.log(day_anchor(key, reference, volatility, day, seed))
    end = math.log(day_anchor(key, reference, volatility, day + 1, seed))
    rng = np.random.default_rng([seed, _key_hash(key), day])
    second_sigma = volatility / math.sqrt(365) / math.sqrt(SECONDS_PER_DAY)
    walk = np.concatenate(([0.0], np.cumsum(rng.standard_normal(SECONDS_PER_DAY) * second_sigma)))
    fraction = np.linspace(0.0, 1.0, SECONDS_PER_DAY + 1)
    bridge = walk - fraction * walk[-1]
    path = np.exp(start + bridge + fraction * (end - start))
    if key in replay.ACTIVE:
        path = replay.overlay(path, replay.ACTIVE[key])
    path.setflags(write=False)
    return path


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
    spot = _driver_series(inst, day, seed)[first: upto + 1]
    if inst.kind == "spot":
        return spot
    epochs = epoch_seconds(day, first) + np.arange(spot.size)
    tau = years_to_expiry(inst.expiry_epoch, epochs)
    forward = spot * np.exp(RISK_FREE_RATE * np.maximum(tau, 0.0))
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

@lru_cache(maxsize=512)
def _minute_volume_curve(token: str, daily_volume: int, lotsize: int, day: int, seed: int) -> np.ndarray:
    """Cumulative traded volume at each whole minute of a day (1441 points), in whole lots."""
    if daily_volume <= 0:
        return np.zeros(1441, dtype=np.int64)
    rng = np.random.default_rng([seed, _key_hash(token), day, 7])
    lots = np.floor(daily_volume / 1440 * rng.uniform(0.3, 1.7, 1440) / lotsize).astype(np.int64)
    return np.concatenate(([0], np.cumsum(lots * lotsize)))


def cumulative_volume(inst: "PaperInstrument", day: date, second: int, seed: int) -> int:
    """Traded volume of the day up to `second` (whole minutes plus the running minute pro rata)."""
    return int(cumulative_volumes(inst, day, np.array([second]), seed)[0])


def cumulative_volumes(inst: "PaperInstrument", day: date, seconds: np.ndarray, seed: int) -> np.ndarray:
    """`cumulative_volume` at many seconds of one day at once (for bars)."""
    curve = _minute_volume_curve(inst.token, inst.daily_volume, inst.lotsize, day.toordinal(), seed)
    done, into = np.divmod(np.minimum(seconds, SECONDS_PER_DAY), 60)
    minute = np.minimum(done, 1439)
    running = (curve[minute + 1] - curve[minute]) * into // 60 // inst.lotsize * inst.lotsize
    return np.where(done >= 1440, curve[-1], curve[minute] + running)
