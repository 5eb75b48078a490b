"""Symbols and instruments through the openalgo client (API_CONTRACT.md §7)."""
from __future__ import annotations

import pytest

import csv
import io

import pandas as pd
import requests

pytestmark = pytest.mark.xdist_group("api_data")  # one server for the package, on one worker


RECORD = ["symbol", "brsymbol", "name", "exchange", "brexchange", "token", "expiry", "strike", "lotsize",
          "instrumenttype", "tick_size"]


def test_symbol_returns_the_instrument_record(client):
    data = client.symbol(symbol="SBIN", exchange="NSE")["data"]
    assert set(RECORD) <= set(data) and data["symbol"] == "SBIN" and data["lotsize"] == 1


def test_unknown_symbol_is_404_with_the_contract_message(client):
    reply = client.symbol(symbol="NOSUCH", exchange="NSE")
    assert reply["code"] == 404 and "Symbol NOSUCH not found in exchange NSE" in reply["message"]


def test_search_ranks_exact_first_and_filters_by_exchange(client):
    reply = client.search(query="sbin")
    assert reply["data"][0]["symbol"] == "SBIN" and reply["message"].startswith("Found ")
    nfo = client.search(query="NIFTY FUT", exchange="NFO")["data"]
    assert nfo and all(r["exchange"] == "NFO" and "FUT" in r["symbol"] for r in nfo)
    assert client.search(query="zzzzqqq")["data"] == []
    assert client.search(query="   ")["code"] == 400


def test_expiry_lists_future_dates_in_order(client):
    reply = client.expiry(symbol="NIFTY", exchange="NFO", instrumenttype="options")
    dates = pd.to_datetime(reply["data"], format="%d-%b-%y")
    assert reply["status"] == "success" and len(dates) >= 2 and list(dates) == sorted(dates)
    assert client.expiry(symbol="NIFTY", exchange="NSE", instrumenttype="options")["code"] == 400


def test_instruments_dataframe_and_all_exchanges(client, server):
    frame = client.instruments(exchange="NSE_INDEX")
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == RECORD and "NIFTY" in set(frame["symbol"])
    everything = requests.get(f"{server.url}/api/v1/instruments", params={"apikey": server.apikey}, timeout=30).json()
    assert {"NSE", "NFO", "NSE_INDEX"} <= {row["exchange"] for row in everything["data"]}


def test_instruments_csv_download(server):
    reply = requests.get(f"{server.url}/api/v1/instruments",
                         params={"apikey": server.apikey, "exchange": "NSE", "format": "CSV"}, timeout=30)
    assert reply.status_code == 200 and reply.headers["Content-Type"].startswith("text/csv")
    assert reply.headers["Content-Disposition"] == "attachment; filename=instruments_NSE.csv"
    rows = list(csv.DictReader(io.StringIO(reply.text)))
    assert list(rows[0]) == RECORD and any(r["symbol"] == "SBIN" for r in rows)
    bad = requests.get(f"{server.url}/api/v1/instruments", params={"apikey": "wrong"}, timeout=10)
    assert bad.status_code == 403 and bad.json()["message"] == "Invalid openalgo apikey"


@pytest.mark.parametrize("key, exchange, status, words", [
    ("wrong", "NSE", 403, "Invalid openalgo apikey"),
    (None, "NSE", 400, "apikey"),
    ("valid", "XYZ", 400, "exchange"),
])
def test_instruments_csv_errors_are_plain_text(server, key, exchange, status, words):
    """§7.4: with format=csv, errors are plain text, not the JSON envelope."""
    query = {"format": "csv", "exchange": exchange, **({"apikey": server.apikey if key == "valid" else key} if key else {})}
    reply = requests.get(f"{server.url}/api/v1/instruments", params=query, timeout=10)
    assert reply.status_code == status and reply.headers["Content-Type"].startswith("text/plain")
    assert words in reply.text and not reply.text.lstrip().startswith("{")
