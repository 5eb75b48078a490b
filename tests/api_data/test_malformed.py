"""Malformed requests get a 4xx JSON error that names the field at fault; schemathesis finds no 5xx."""
from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.xdist_group("api_data")  # one server for the package, on one worker


CASES = [
    ("quotes", {"symbol": "SBIN"}, "exchange"),
    ("quotes", {"symbol": "SBIN", "exchange": "nse"}, "exchange"),
    ("multiquotes", {"symbols": []}, "symbols"),
    ("multiquotes", {"symbols": [{"symbol": "SBIN", "exchange": "XXX"}]}, "exchange"),
    ("depth", {"exchange": "NSE"}, "symbol"),
    ("history", {"symbol": "SBIN", "exchange": "NSE", "interval": "7m", "start_date": "2026-01-01",
                 "end_date": "2026-01-02"}, "interval"),
    ("history", {"symbol": "SBIN", "exchange": "NSE", "interval": "D", "start_date": "01-01-2026",
                 "end_date": "2026-01-02"}, "start_date"),
    ("history", {"symbol": "SBIN", "exchange": "NSE", "interval": "D", "start_date": "2026-01-05",
                 "end_date": "2026-01-02"}, "end_date"),
    ("symbol", {"symbol": "SBIN"}, "exchange"),
    ("search", {"query": ""}, "query"),
    ("search", {"query": "SBIN", "exchange": "XYZ"}, "exchange"),
    ("expiry", {"symbol": "NIFTY", "exchange": "NFO", "instrumenttype": "Futures"}, "instrumenttype"),
    ("optionsymbol", {"underlying": "NIFTY", "exchange": "NSE_INDEX", "expiry_date": "30DEC25", "offset": "OTM99",
                      "option_type": "CE"}, "offset"),
    ("optionsymbol", {"underlying": "NIFTY", "exchange": "NSE_INDEX", "expiry_date": "2025-12-30", "offset": "ATM",
                      "option_type": "CE"}, "expiry_date"),
    ("optionchain", {"underlying": "NIFTY", "exchange": "NSE_INDEX", "expiry_date": "30DEC25",
                     "strike_count": 500}, "strike_count"),
    ("optiongreeks", {"symbol": "NIFTY30DEC2526000CE", "exchange": "NSE"}, "exchange"),
    ("optiongreeks", {"symbol": "NIFTY30DEC2526000CE", "exchange": "NFO", "interest_rate": "abc"}, "interest_rate"),
    ("syntheticfuture", {"underlying": "NIFTY", "exchange": "NSE_INDEX"}, "expiry_date"),
    ("margin", {"positions": []}, "positions"),
    ("margin", {"positions": [{"symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": "-1",
                               "product": "MIS", "pricetype": "MARKET"}]}, "quantity"),
    ("market/holidays", {"year": 1999}, "year"),
    ("market/timings", {"date": "tomorrow"}, "date"),
]


@pytest.mark.parametrize("endpoint, body, field", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_malformed_request_names_the_field(server, endpoint, body, field):
    reply = requests.post(f"{server.url}/api/v1/{endpoint}", json={"apikey": server.apikey, **body}, timeout=10)
    assert 400 <= reply.status_code < 500, reply.text
    payload = reply.json()
    assert payload["status"] == "error" and field in str(payload.get("errors", payload["message"]))


def test_instruments_rejects_an_unknown_exchange(server):
    reply = requests.get(f"{server.url}/api/v1/instruments", params={"apikey": server.apikey, "exchange": "XX"},
                         timeout=10)
    assert reply.status_code == 400 and "exchange" in reply.text


def test_body_that_is_not_json_is_400(server):
    reply = requests.post(f"{server.url}/api/v1/quotes", data="not json", timeout=10,
                          headers={"Content-Type": "application/json"})
    assert reply.status_code == 400 and reply.json()["status"] == "error"
