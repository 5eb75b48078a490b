"""Option analytics through the openalgo client (API_CONTRACT.md §8), on the paper broker's chain."""
from __future__ import annotations

import math

import pytest
import requests
from scipy.optimize import brentq

from tests.options.test_black76 import reference


pytestmark = [pytest.mark.xdist_group("api_data"), pytest.mark.dates]  # one server for the package, on one worker


@pytest.fixture(scope="module")
def expiry(client) -> str:
    return client.expiry(symbol="NIFTY", exchange="NFO", instrumenttype="options")["data"][1].replace("-", "")


def test_optionsymbol_counts_listed_strikes_from_atm(client, expiry):
    atm = client.optionsymbol(underlying="NIFTY", exchange="NSE_INDEX", expiry_date=expiry, offset="ATM",
                              option_type="CE")
    chain = client.optionchain(underlying="NIFTY", exchange="NSE_INDEX", expiry_date=expiry, strike_count=3)
    strikes = [row["strike"] for row in chain["chain"]]
    centre = strikes.index(chain["atm_strike"])
    otm2_ce = client.optionsymbol(underlying="NIFTY", exchange="NSE_INDEX", expiry_date=expiry, offset="otm2",
                                  option_type="ce")
    itm2_pe = client.optionsymbol(underlying="NIFTY", exchange="NSE_INDEX", expiry_date=expiry, offset="ITM2",
                                  option_type="PE")
    assert atm["exchange"] == "NFO" and atm["lotsize"] > 0 and atm["underlying_ltp"] > 0
    assert otm2_ce["symbol"] == chain["chain"][centre + 2]["ce"]["symbol"]
    assert itm2_pe["symbol"] == chain["chain"][centre + 2]["pe"]["symbol"]
    too_far = client.optionsymbol(underlying="NIFTY", exchange="NSE_INDEX", expiry_date=expiry, offset="OTM50",
                                  option_type="CE")
    assert too_far["code"] == 400 and "out of range" in too_far["message"]
    no_expiry = client.optionsymbol(underlying="NIFTY", exchange="NSE_INDEX", offset="ATM", option_type="CE")
    assert no_expiry["code"] == 400 and "Expiry date required" in no_expiry["message"]


def test_optionchain_is_centred_on_atm_with_labels(client, expiry):
    chain = client.optionchain(underlying="NIFTY", exchange="NSE_INDEX", expiry_date=expiry, strike_count=2)
    rows = chain["chain"]
    assert len(rows) == 5 and [r["strike"] for r in rows] == sorted(r["strike"] for r in rows)
    assert rows[2]["strike"] == chain["atm_strike"] and rows[2]["ce"]["label"] == rows[2]["pe"]["label"] == "ATM"
    assert rows[0]["ce"]["label"] == "ITM2" and rows[0]["pe"]["label"] == "OTM2"
    assert rows[4]["ce"]["label"] == "OTM2" and rows[4]["pe"]["label"] == "ITM2"
    leg_keys = {"symbol", "label", "ltp", "bid", "ask", "open", "high", "low", "prev_close", "volume", "oi",
                "lotsize", "tick_size"}
    assert leg_keys <= set(rows[0]["ce"]) and chain["expiry_date"] == expiry and chain["underlying_ltp"] > 0


def test_optionchain_with_greeks_uses_the_synthetic_forward(server, expiry):
    body = requests.post(f"{server.url}/api/v1/optionchain", json={
        "apikey": server.apikey, "underlying": "NIFTY", "exchange": "NSE_INDEX", "expiry_date": expiry,
        "strike_count": 1, "with_greeks": True}, timeout=30).json()
    atm = body["chain"][1]
    assert body["greeks_included"] is True
    assert body["forward_price"] == pytest.approx(atm["strike"] + atm["ce"]["ltp"] - atm["pe"]["ltp"], abs=0.01)
    assert 0 < atm["ce"]["delta"] < 1 and -1 < atm["pe"]["delta"] < 0 and atm["ce"]["implied_volatility"] > 0


def test_optiongreeks_match_black76_references_at_the_api(client, expiry):
    symbol = client.optionsymbol(underlying="NIFTY", exchange="NSE_INDEX", expiry_date=expiry, offset="ATM",
                                 option_type="CE")["symbol"]
    strike = float(symbol[len("NIFTY") + 7:-2])
    reply = client.optiongreeks(symbol=symbol, exchange="NFO", forward_price=strike, interest_rate=0)
    assert reply["status"] == "success" and reply["spot_price"] == strike
    years = reply["days_to_expiry"] / 365
    sigma = brentq(lambda s: reference("CE", strike, strike, years, s, 0)["price"] - reply["option_price"],
                   1e-4, 5.0, xtol=1e-12)
    ref = reference("CE", strike, strike, years, sigma, 0.0)
    assert reply["implied_volatility"] == pytest.approx(sigma * 100, abs=0.01)
    greeks = reply["greeks"]
    assert greeks["delta"] == pytest.approx(ref["delta"], abs=2e-4)
    assert greeks["gamma"] == pytest.approx(ref["gamma"], abs=2e-6)
    assert greeks["theta"] == pytest.approx(ref["theta"] / 365, abs=2e-4 * max(1, abs(ref["theta"] / 365)))
    assert greeks["vega"] == pytest.approx(ref["vega"] / 100, abs=2e-4 * max(1, ref["vega"] / 100))
    assert not math.isnan(greeks["rho"])


def test_optiongreeks_bad_key_is_401(server):
    reply = requests.post(f"{server.url}/api/v1/optiongreeks", json={
        "apikey": "not-a-key", "symbol": "NIFTY30DEC2526000CE", "exchange": "NFO"}, timeout=10)
    assert reply.status_code == 401 and reply.json()["message"] == "Invalid openalgo apikey"


def test_syntheticfuture_is_put_call_parity_at_atm(client, expiry):
    reply = client.syntheticfuture(underlying="NIFTY", exchange="NSE_INDEX", expiry_date=expiry)
    assert reply["status"] == "success" and reply["expiry"] == expiry
    assert abs(reply["synthetic_future_price"] - reply["underlying_ltp"]) < 0.05 * reply["underlying_ltp"]


def test_optiongreeks_default_forward_is_the_synthetic_future(client, expiry):
    symbol = client.optionsymbol(underlying="NIFTY", exchange="NSE_INDEX", expiry_date=expiry, offset="OTM1",
                                 option_type="PE")["symbol"]
    synthetic = client.syntheticfuture(underlying="NIFTY", exchange="NSE_INDEX", expiry_date=expiry)
    reply = client.optiongreeks(symbol=symbol, exchange="NFO")
    assert reply["status"] == "success" and reply["option_type"] == "PE"
    assert reply["spot_price"] == pytest.approx(synthetic["synthetic_future_price"], rel=2e-3)
    assert -1 < reply["greeks"]["delta"] < 0


def test_multioptiongreeks_answers_each_option_as_optiongreeks_does(server, client, expiry):
    call = client.optionsymbol(underlying="NIFTY", exchange="NSE_INDEX", expiry_date=expiry, offset="ATM",
                               option_type="CE")["symbol"]
    put = client.optionsymbol(underlying="NIFTY", exchange="NSE_INDEX", expiry_date=expiry, offset="ATM",
                              option_type="PE")["symbol"]
    body = requests.post(f"{server.url}/api/v1/multioptiongreeks", json={
        "apikey": server.apikey, "interest_rate": 0,
        "symbols": [{"symbol": call, "exchange": "NFO"}, {"symbol": put, "exchange": "NFO"},
                    {"symbol": "NIFTY01JAN2099000CE", "exchange": "NFO"}]}, timeout=30).json()
    assert body["status"] == "success" and body["summary"] == {"total": 3, "success": 2, "failed": 1}
    single = client.optiongreeks(symbol=call, exchange="NFO", interest_rate=0)
    first, second, failed = body["data"]
    assert first["symbol"] == call and first["implied_volatility"] == pytest.approx(single["implied_volatility"], abs=0.5)
    assert 0 < first["greeks"]["delta"] < 1 and -1 < second["greeks"]["delta"] < 0
    assert failed["status"] == "error" and failed["symbol"] == "NIFTY01JAN2099000CE" and failed["message"]
    too_many = requests.post(f"{server.url}/api/v1/multioptiongreeks", json={
        "apikey": server.apikey, "symbols": [{"symbol": call, "exchange": "NFO"}] * 51}, timeout=10)
    assert too_many.status_code == 400 and "symbols" in too_many.json()["message"] + str(too_many.json())
    bad_key = requests.post(f"{server.url}/api/v1/multioptiongreeks", json={
        "apikey": "not-a-key", "symbols": [{"symbol": call, "exchange": "NFO"}]}, timeout=10)
    assert bad_key.status_code == 401
