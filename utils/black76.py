"""Black-76 prices, Greeks and implied volatility for options on a forward (API_CONTRACT.md §8.5).

Indian index and stock options are priced here on the forward (a synthetic forward from put-call parity,
the future, or the spot as a fall-back). Inputs: forward F, strike K, time to expiry T in years
(calendar days / 365), volatility sigma as a fraction (0.20 = 20 %), continuously compounded rate r as a
fraction. Units of the outputs follow the contract: theta per calendar day, vega per 1 volatility point,
rho per 1 percentage point of rate. Implied volatility is solved with SciPy's Brent root finder.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.optimize import brentq
from scipy.special import ndtr   # standard normal CDF, a fast ufunc

DAYS_PER_YEAR = 365.0
MIN_VOL, MAX_VOL = 1e-6, 10.0    # bracket for the implied-volatility search (0.0001 % .. 1000 %)


@dataclass(frozen=True)
class Greeks:
    delta: float
    gamma: float
    theta: float   # per calendar day
    vega: float    # per 1 volatility point
    rho: float     # per 1 % of interest rate


def _check(option_type: str, forward: float, strike: float, years: float) -> bool:
    if option_type not in ("CE", "PE"):
        raise ValueError(f"option_type must be CE or PE, got {option_type!r}")
    if forward <= 0 or strike <= 0 or years <= 0:
        raise ValueError("forward, strike and time to expiry must be positive")
    return option_type == "CE"


def _d1_d2(forward: float, strike: float, years: float, sigma: float) -> tuple[float, float]:
    spread = sigma * math.sqrt(years)
    d1 = (math.log(forward / strike) + 0.5 * spread * spread) / spread
    return d1, d1 - spread


def _pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def price(option_type: str, forward: float, strike: float, years: float, sigma: float, rate: float = 0.0) -> float:
    is_call = _check(option_type, forward, strike, years)
    discount = math.exp(-rate * years)
    if sigma <= 0:
        return discount * max((forward - strike) if is_call else (strike - forward), 0.0)
    d1, d2 = _d1_d2(forward, strike, years, sigma)
    if is_call:
        return discount * (forward * float(ndtr(d1)) - strike * float(ndtr(d2)))
    return discount * (strike * float(ndtr(-d2)) - forward * float(ndtr(-d1)))


def greeks(option_type: str, forward: float, strike: float, years: float, sigma: float, rate: float = 0.0) -> Greeks:
    is_call = _check(option_type, forward, strike, years)
    if sigma <= 0:
        raise ValueError("volatility must be positive")
    discount = math.exp(-rate * years)
    d1, _ = _d1_d2(forward, strike, years, sigma)
    density = _pdf(d1)
    value = price(option_type, forward, strike, years, sigma, rate)
    delta = discount * (float(ndtr(d1)) if is_call else float(ndtr(d1)) - 1.0)
    gamma = discount * density / (forward * sigma * math.sqrt(years))
    vega = forward * discount * density * math.sqrt(years)
    # dV/dt with the forward held fixed: the decay of the time value plus the rate carry of the premium
    theta_year = -forward * discount * density * sigma / (2.0 * math.sqrt(years)) + rate * value
    rho = -years * value   # dV/dr for Black-76: only the discount factor depends on r
    return Greeks(delta=delta, gamma=gamma, theta=theta_year / DAYS_PER_YEAR, vega=vega / 100.0, rho=rho / 100.0)


def implied_volatility(option_type: str, option_price: float, forward: float, strike: float, years: float,
                       rate: float = 0.0) -> float | None:
    """The sigma whose Black-76 price equals `option_price`; None when no volatility gives that price
    (at or below intrinsic value, e.g. deep in the money, or above the no-arbitrage ceiling)."""
    _check(option_type, forward, strike, years)
    floor = price(option_type, forward, strike, years, 0.0, rate)
    ceiling = price(option_type, forward, strike, years, MAX_VOL, rate)
    if not floor < option_price < ceiling:
        return None
    return float(brentq(lambda s: price(option_type, forward, strike, years, s, rate) - option_price,
                        MIN_VOL, MAX_VOL, xtol=1e-12, rtol=1e-12, maxiter=200))
