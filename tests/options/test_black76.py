"""Black-76 against closed-form references computed here independently (math.erf), and IV round trips."""
from __future__ import annotations

import math

import pytest

from utils import black76


def norm_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def norm_pdf(x: float) -> float:
    return math.exp(-x * x / 2.0) / math.sqrt(2.0 * math.pi)


def reference(kind: str, f: float, k: float, t: float, s: float, r: float) -> dict[str, float]:
    """Textbook Black-76 (Hull, 'Black's model'): per-year theta, vega per 1.00 of volatility."""
    d1 = (math.log(f / k) + s * s * t / 2) / (s * math.sqrt(t))
    d2 = d1 - s * math.sqrt(t)
    df = math.exp(-r * t)
    if kind == "CE":
        price = df * (f * norm_cdf(d1) - k * norm_cdf(d2))
        delta = df * norm_cdf(d1)
    else:
        price = df * (k * norm_cdf(-d2) - f * norm_cdf(-d1))
        delta = -df * norm_cdf(-d1)
    gamma = df * norm_pdf(d1) / (f * s * math.sqrt(t))
    vega = f * df * norm_pdf(d1) * math.sqrt(t)
    theta = -f * df * norm_pdf(d1) * s / (2 * math.sqrt(t)) + r * price
    return {"price": price, "delta": delta, "gamma": gamma, "vega": vega, "theta": theta, "rho": -t * price}


def test_atm_call_30_days_20_percent_zero_rate_matches_reference_to_4_decimals():
    t = 30 / 365
    ref = reference("CE", 100, 100, t, 0.20, 0.0)
    got = black76.greeks("CE", 100, 100, t, 0.20, 0.0)
    assert black76.price("CE", 100, 100, t, 0.20) == pytest.approx(ref["price"], abs=1e-4)
    assert round(got.delta, 4) == round(ref["delta"], 4) == 0.5114
    assert round(got.gamma, 4) == round(ref["gamma"], 4) == 0.0695
    assert round(got.theta, 4) == round(ref["theta"] / 365, 4) == -0.0381   # per calendar day
    assert round(got.vega, 4) == round(ref["vega"] / 100, 4) == 0.1143      # per vol point
    assert got.rho == pytest.approx(-t * ref["price"] / 100, abs=1e-9)


@pytest.mark.parametrize("kind", ["CE", "PE"])
@pytest.mark.parametrize("forward, strike, days, vol, rate", [
    (26061.9, 26000, 28.2257, 0.1184, 0.0),
    (100, 80, 7, 0.35, 0.065),
    (100, 130, 200, 0.5, 0.07),
    (5400, 5600, 2.5, 0.4, 0.0),
])
def test_greeks_match_reference_across_inputs(kind, forward, strike, days, vol, rate):
    t = days / 365
    ref = reference(kind, forward, strike, t, vol, rate)
    got = black76.greeks(kind, forward, strike, t, vol, rate)
    assert black76.price(kind, forward, strike, t, vol, rate) == pytest.approx(ref["price"], rel=1e-10, abs=1e-10)
    assert got.delta == pytest.approx(ref["delta"], abs=1e-10)
    assert got.gamma == pytest.approx(ref["gamma"], rel=1e-9)
    assert got.theta == pytest.approx(ref["theta"] / 365, rel=1e-9)
    assert got.vega == pytest.approx(ref["vega"] / 100, rel=1e-9)


def test_contract_example_is_reproduced():
    """§8.5 example: NIFTY27JAN2626000CE at 373.75 with forward 26061.9 and 28.2257 days."""
    t = 28.2257 / 365
    iv = black76.implied_volatility("CE", 373.75, 26061.9, 26000, t)
    assert round(iv * 100, 2) == 11.84
    got = black76.greeks("CE", 26061.9, 26000, t, iv)
    assert round(got.delta, 4) == 0.5353
    assert round(got.gamma, 6) == 0.000463
    assert round(got.theta, 4) == pytest.approx(-6.0403, abs=2e-4)
    assert round(got.vega, 4) == pytest.approx(28.7994, abs=2e-4)
    assert round(got.rho, 6) == pytest.approx(-0.289022, abs=2e-6)


def test_put_call_parity():
    t, f, k, r = 45 / 365, 101.3, 100, 0.05
    call, put = black76.price("CE", f, k, t, 0.3, r), black76.price("PE", f, k, t, 0.3, r)
    assert call - put == pytest.approx(math.exp(-r * t) * (f - k), abs=1e-10)


@pytest.mark.parametrize("kind", ["CE", "PE"])
@pytest.mark.parametrize("strike", [90, 95, 100, 105, 110])
@pytest.mark.parametrize("days", [7, 30, 365])
@pytest.mark.parametrize("vol", [0.2, 0.35, 0.9])
def test_implied_volatility_round_trips(kind, strike, days, vol):
    t = days / 365
    premium = black76.price(kind, 100, strike, t, vol, 0.06)
    intrinsic_floor = black76.price(kind, 100, strike, t, 0.0, 0.06)
    assert premium - intrinsic_floor > 1e-6   # the grid keeps some time value to invert
    assert black76.implied_volatility(kind, premium, 100, strike, t, 0.06) == pytest.approx(vol, rel=1e-6)


def test_no_implied_volatility_below_intrinsic_or_above_ceiling():
    t = 10 / 365
    assert black76.implied_volatility("CE", 19.0, 120, 100, t) is None   # intrinsic is 20
    assert black76.implied_volatility("PE", 19.0, 80, 100, t) is None
    assert black76.implied_volatility("CE", 150.0, 120, 100, t) is None  # more than the forward


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="CE or PE"):
        black76.price("XX", 100, 100, 0.1, 0.2)
    with pytest.raises(ValueError, match="positive"):
        black76.greeks("CE", 100, 100, 0.0, 0.2)
    with pytest.raises(ValueError, match="volatility"):
        black76.greeks("CE", 100, 100, 0.1, 0.0)
