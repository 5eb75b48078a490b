"""Option Greeks response (§8.5), strike selection (§8 step 4), chain labels (§8.4), synthetic future (§8.6)."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from services.option_greeks import days_to_expiry, expiry_cutoff, option_greeks
from utils.errors import ClientError, InvalidInput, NotFound
from services.option_strikes import (
    OFFSET_MESSAGE,
    atm_strike,
    chain_rows,
    parse_offset,
    select_strike,
    select_strike_by_interval,
    synthetic_future,
)
from utils.market_calendar import IST

NOW = datetime(2025, 12, 30, 10, 5, tzinfo=IST)   # 28.2257 days before the 27-Jan 15:30 cut-off
STRIKES = [25900, 25950, 26000, 26050, 26100, 26150, 26200]


def test_greeks_response_matches_contract_example():
    body = option_greeks("NIFTY27JAN2626000CE", "NFO", option_price=373.75, underlying_price=26061.9, now=NOW)
    assert body["days_to_expiry"] == pytest.approx(28.2257, abs=1e-4)
    assert body["implied_volatility"] == 11.84
    assert body["expiry_date"] == "27-Jan-2026" and body["underlying"] == "NIFTY" and body["strike"] == 26000.0
    assert body["spot_price"] == 26061.9 and body["interest_rate"] == 0.0 and body["option_type"] == "CE"
    greeks = body["greeks"]
    assert greeks["delta"] == pytest.approx(0.5353, abs=1e-4)
    assert greeks["gamma"] == pytest.approx(0.000463, abs=1e-6)
    assert greeks["theta"] == pytest.approx(-6.0403, abs=2e-3)
    assert greeks["vega"] == pytest.approx(28.7994, abs=2e-3)
    # rounding per §8.5
    assert all(len(str(greeks[k]).split(".")[-1]) <= 4 for k in ("delta", "theta", "vega"))
    assert all(len(str(greeks[k]).split(".")[-1]) <= 6 for k in ("gamma", "rho"))


def test_deep_itm_option_without_solvable_iv():
    body = option_greeks("NIFTY27JAN2624000CE", "NFO", option_price=2000.0, underlying_price=26061.9, now=NOW)
    assert body["implied_volatility"] == 0.0
    assert body["greeks"] == {"delta": 1.0, "gamma": 0.0, "theta": 0.0, "vega": 0.0, "rho": 0.0}
    assert body["intrinsic_value"] == 2061.9 and body["time_value"] == -61.9 and body["note"]
    put = option_greeks("NIFTY27JAN2628000PE", "NFO", option_price=1900, underlying_price=26061.9, now=NOW)
    assert put["greeks"]["delta"] == -1.0


# MCX closes at 23:55 IST in January (New York on standard time) and 23:30 in July (daylight saving)
@pytest.mark.parametrize("exchange, expiry, cutoff", [
    ("NFO", date(2026, 1, 27), (15, 30)), ("BFO", date(2026, 1, 27), (15, 30)), ("CDS", date(2026, 1, 27), (12, 30)),
    ("MCX", date(2026, 1, 27), (23, 55)), ("MCX", date(2026, 7, 17), (23, 30)), ("NCO", date(2026, 7, 17), (23, 30))])
def test_expiry_cutoffs_per_exchange(exchange, expiry, cutoff):
    moment = expiry_cutoff(exchange, expiry)
    assert (moment.hour, moment.minute) == cutoff and moment.tzinfo is IST
    assert days_to_expiry(exchange, expiry, datetime.combine(expiry, datetime.min.time(), IST)) == \
        pytest.approx((cutoff[0] * 60 + cutoff[1]) / 1440)


def test_expiry_time_override_and_its_validation():
    assert expiry_cutoff("NFO", date(2026, 1, 27), "14:00").hour == 14
    with pytest.raises(ClientError, match="expiry_time") as info:
        expiry_cutoff("NFO", date(2026, 1, 27), "25:00")
    assert info.value.field == "expiry_time"


def test_expired_option_and_bad_inputs():
    after = datetime(2025, 12, 30, 15, 31, tzinfo=IST)
    with pytest.raises(ClientError, match="Option has expired on 30-Dec-2025"):
        option_greeks("NIFTY30DEC2526000CE", "NFO", option_price=10, underlying_price=26000, now=after)
    cases = [({"symbol": "NIFTY30DEC25FUT"}, "symbol"), ({"exchange": "NSE"}, "exchange"),
             ({"interest_rate": 101}, "interest_rate"), ({"interest_rate": "x"}, "interest_rate")]
    for change, field in cases:
        args = {"symbol": "NIFTY27JAN2626000CE", "exchange": "NFO", "option_price": 10, "underlying_price": 26000,
                "now": NOW, **change}
        with pytest.raises(ClientError) as info:
            option_greeks(args.pop("symbol"), args.pop("exchange"), **args)
        assert info.value.field == field and isinstance(info.value, InvalidInput)
    with pytest.raises(ClientError, match="Option LTP not available") as info:
        option_greeks("NIFTY27JAN2626000CE", "NFO", option_price=0, underlying_price=26000, now=NOW)
    assert isinstance(info.value, NotFound)


@pytest.mark.parametrize("text, label, moneyness", [("ATM", "ATM", 0), ("atm", "ATM", 0), ("itm1", "ITM1", 1),
                                                    ("OTM50", "OTM50", -50), (" Itm12 ", "ITM12", 12)])
def test_offsets_parse_case_insensitively(text, label, moneyness):
    parsed = parse_offset(text)
    assert (parsed.label, parsed.moneyness) == (label, moneyness)


@pytest.mark.parametrize("text", ["ITM0", "OTM51", "ITM05", "ATM1", "ITM", "", None, "OTM-1", "DEEP"])
def test_bad_offsets_are_refused_with_the_contract_message(text):
    with pytest.raises(ClientError, match=OFFSET_MESSAGE) as info:
        parse_offset(text)
    assert info.value.field == "offset"


def test_atm_is_the_nearest_listed_strike():
    assert atm_strike(STRIKES, 26042.35) == 26050
    assert atm_strike(STRIKES, 26024.99) == 26000
    assert atm_strike(STRIKES, 26025.0) == 26000   # exact tie → lower strike
    assert atm_strike([100, 105, 120], 118) == 120  # uneven listing


@pytest.mark.parametrize("offset, kind, expected", [
    ("ATM", "CE", 26050), ("ATM", "PE", 26050),
    ("ITM1", "CE", 26000), ("OTM1", "CE", 26100), ("ITM2", "ce", 25950),
    ("ITM1", "PE", 26100), ("OTM1", "PE", 26000), ("OTM3", "pe", 25900),
])
def test_offsets_step_through_listed_strikes_with_ce_pe_moneyness(offset, kind, expected):
    assert select_strike(STRIKES, 26042.35, offset, kind) == expected


def test_offsets_count_listed_strikes_not_fixed_intervals():
    gappy = [25800, 26000, 26050, 26500]
    assert select_strike(gappy, 26040, "OTM1", "CE") == 26500
    assert select_strike(gappy, 26040, "ITM2", "CE") == 25800


def test_offset_beyond_listed_strikes_is_the_contract_error():
    with pytest.raises(ClientError) as info:
        select_strike(STRIKES, 26042.35, "OTM40", "CE")
    assert info.value.message == "Offset OTM40 is out of range for available strikes. Please use a smaller offset."
    assert isinstance(info.value, InvalidInput)
    with pytest.raises(ClientError) as none:
        select_strike([], 26042.35, "ATM", "CE")
    assert isinstance(none.value, NotFound)


def test_deprecated_strike_interval_mode():
    assert select_strike_by_interval(26042.35, 50, "ATM", "CE") == 26050
    assert select_strike_by_interval(26042.35, 100, "OTM2", "CE") == 26200
    assert select_strike_by_interval(26042.35, 100, "ITM2", "PE") == 26200
    with pytest.raises(ClientError):
        select_strike_by_interval(26042.35, 0, "ATM", "CE")


def test_chain_rows_are_centred_on_atm_and_labelled():
    rows = chain_rows(STRIKES, 26042.35, strike_count=2)
    assert [r.strike for r in rows] == [25950, 26000, 26050, 26100, 26150]
    assert [(r.ce_label, r.pe_label) for r in rows] == [
        ("ITM2", "OTM2"), ("ITM1", "OTM1"), ("ATM", "ATM"), ("OTM1", "ITM1"), ("OTM2", "ITM2")]
    assert len(chain_rows(STRIKES, 26042.35)) == len(STRIKES)
    edge = chain_rows(STRIKES, 25900, strike_count=3)   # ATM at the lowest strike: nothing below
    assert edge[0].ce_label == "ATM" and len(edge) == 4
    with pytest.raises(ClientError, match="strike_count"):
        chain_rows(STRIKES, 26042.35, strike_count=0)


def test_synthetic_future_from_put_call_parity():
    assert synthetic_future(26050.0, 171.4, 121.95) == 26099.45
    assert synthetic_future(26050, 150.123, 126.3) == 26073.82


def test_chain_leg_analytics_for_with_greeks():
    from services.option_greeks import leg_analytics

    leg = leg_analytics("PE", 121.95, 26073.8, 26050.0, 7 / 365)
    assert set(leg) == {"implied_volatility", "delta", "gamma", "theta", "vega", "rho"}
    assert 0 < leg["implied_volatility"] < 100 and -1 < leg["delta"] < 0 and leg["theta"] < 0
    deep = leg_analytics("CE", 50.0, 26073.8, 25000.0, 7 / 365)
    assert deep["implied_volatility"] == 0.0 and deep["delta"] == 1.0 and "note" in deep
