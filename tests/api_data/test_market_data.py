"""Market data through the public openalgo client against a running server with the paper broker."""
from __future__ import annotations

import pytest

from datetime import date, timedelta

import pandas as pd
import requests

from services.market_data import history_windows
from utils.market_calendar import now_ist

pytestmark = [pytest.mark.xdist_group("api_data"), pytest.mark.dates]  # one server for the package, on one worker


QUOTE_KEYS = {"ltp", "open", "high", "low", "prev_close", "volume", "bid", "ask", "oi"}


def test_quotes_have_the_contract_keys(client):
    reply = client.quotes(symbol="SBIN", exchange="NSE")
    assert reply["status"] == "success" and QUOTE_KEYS <= set(reply["data"])
    assert reply["data"]["ltp"] > 0 and isinstance(reply["data"]["volume"], int)


def test_unknown_symbol_is_400_with_the_contract_message(client):
    reply = client.quotes(symbol="NOSUCH", exchange="NSE")
    assert reply["code"] == 400
    assert "Symbol 'NOSUCH' not found for exchange 'NSE'. Please verify the symbol name" in reply["message"]


def test_multiquotes_results_with_per_symbol_errors(client, server):
    wanted = [{"symbol": s, "exchange": "NSE"} for s in ("SBIN", "INFY", "NOSUCH")] + \
             [{"symbol": "NIFTY", "exchange": "NSE_INDEX"}]
    reply = client.multiquotes(symbols=wanted)
    by_symbol = {item["symbol"]: item for item in reply["results"]}
    assert reply["status"] == "success" and set(by_symbol) == {"SBIN", "INFY", "NOSUCH", "NIFTY"}
    assert QUOTE_KEYS <= set(by_symbol["INFY"]["data"]) and by_symbol["NIFTY"]["data"]["ltp"] > 0
    assert "not found" in by_symbol["NOSUCH"]["error"] and "data" not in by_symbol["NOSUCH"]
    none_valid = requests.post(f"{server.url}/api/v1/multiquotes", json={
        "apikey": server.apikey, "symbols": [{"symbol": "NOSUCH", "exchange": "NSE"}]}, timeout=10)
    assert none_valid.status_code == 400 and none_valid.json()["invalid_symbols"][0]["symbol"] == "NOSUCH"


def test_depth_has_five_sorted_levels_each_side(client):
    data = client.depth(symbol="SBIN", exchange="NSE")["data"]
    bids, asks = [l["price"] for l in data["bids"]], [l["price"] for l in data["asks"]]
    assert len(bids) == len(asks) == 5
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks) and bids[0] < asks[0]
    assert {"ltp", "ltq", "totalbuyqty", "totalsellqty", "oi"} <= set(data)


def test_history_is_a_dataframe_indexed_by_ist_time(client):
    end = now_ist().date() - timedelta(days=1)
    frame = client.history(symbol="SBIN", exchange="NSE", interval="5m",
                           start_date=str(end - timedelta(days=2)), end_date=str(end))
    assert isinstance(frame, pd.DataFrame) and isinstance(frame.index, pd.DatetimeIndex)
    assert {"open", "high", "low", "close", "volume"} <= set(frame.columns)
    assert str(frame.index.tz) == "Asia/Kolkata" and frame.index.is_monotonic_increasing


def test_long_intraday_range_is_chunked_and_stitched_without_gaps_or_duplicates(server):
    end = now_ist().date() - timedelta(days=1)
    start = end - timedelta(days=150)          # three of the paper broker's 60-day windows
    body = requests.post(f"{server.url}/api/v1/history", json={
        "apikey": server.apikey, "symbol": "INFY", "exchange": "NSE", "interval": "15m",
        "start_date": str(start), "end_date": str(end)}, timeout=60).json()
    stamps = [bar["timestamp"] for bar in body["data"]]
    assert all(isinstance(s, int) for s in stamps)
    assert {b - a for a, b in zip(stamps, stamps[1:])} == {900}       # contiguous, none repeated
    first = pd.Timestamp(stamps[0], unit="s", tz="UTC").tz_convert("Asia/Kolkata")
    last = pd.Timestamp(stamps[-1], unit="s", tz="UTC").tz_convert("Asia/Kolkata")
    assert first.date() == start and last.date() == end


def test_history_from_the_local_store_is_the_contracts_404(client, server):
    """§6.4: `source=db` reads locally stored candles; this server stores none, so: 404, nothing stored."""
    reply = client.history(symbol="SBIN", exchange="NSE", interval="5m", start_date="2025-12-01",
                           end_date="2025-12-05", source="db")
    assert reply["status"] == "error" and reply["code"] == 404
    assert "No data found for SBIN:NSE interval 5m in local database" in reply["message"]
    bad_key = requests.post(f"{server.url}/api/v1/history", json={
        "apikey": "wrong", "symbol": "SBIN", "exchange": "NSE", "interval": "5m", "start_date": "2025-12-01",
        "end_date": "2025-12-05", "source": "db"}, timeout=10)
    assert bad_key.status_code == 403       # D6: the key is checked on this path too
    other = requests.post(f"{server.url}/api/v1/history", json={
        "apikey": server.apikey, "symbol": "SBIN", "exchange": "NSE", "interval": "5m", "start_date": "2025-12-01",
        "end_date": "2025-12-05", "source": "disk"}, timeout=10)
    assert other.status_code == 400 and "source" in other.text


def test_daily_and_weekly_bars_use_midnight_utc_of_the_bar_date(client, server):
    end = now_ist().date() - timedelta(days=1)
    daily = client.history(symbol="SBIN", exchange="NSE", interval="D",
                           start_date=str(end - timedelta(days=10)), end_date=str(end))
    assert daily.index[-1].date() == end and all(t.hour == 0 for t in daily.index)
    weekly = requests.post(f"{server.url}/api/v1/history", json={
        "apikey": server.apikey, "symbol": "SBIN", "exchange": "NSE", "interval": "W",
        "start_date": str(end - timedelta(days=4 * 365)), "end_date": str(end)}, timeout=60).json()["data"]
    stamps = [bar["timestamp"] for bar in weekly]
    assert all(s % 86400 == 0 for s in stamps) and len(set(stamps)) == len(stamps)
    assert {pd.Timestamp(s, unit="s").weekday() for s in stamps[1:]} == {0}          # Mondays
    assert {b - a for a, b in zip(stamps[1:], stamps[2:])} == {7 * 86400}


def test_history_windows_cut_calendar_bars_on_their_own_boundaries():
    start, end = date(2020, 3, 4), date(2026, 6, 30)
    for interval in ("D", "W", "M", "5m"):
        windows = list(history_windows(interval, start, end, 400))
        assert windows[0][0] == start and windows[-1][1] == end
        assert all(b[0] - a[1] == timedelta(days=1) for a, b in zip(windows, windows[1:]))
        assert all((last - first).days < 400 for first, last in windows)
        if interval == "W":
            assert all(last.weekday() == 6 for _, last in windows[:-1])
        if interval == "M":
            assert all((last.month, last.day) == (12, 31) for _, last in windows[:-1])


def test_intervals_lists_six_groups(client):
    data = client.intervals()["data"]
    assert set(data) == {"seconds", "minutes", "hours", "days", "weeks", "months"}
    assert "5m" in data["minutes"] and data["days"] == ["D"]
    assert data["minutes"] == sorted(data["minutes"], key=lambda i: int(i[:-1]))


def test_ticker_json_and_text(server):
    end = now_ist().date() - timedelta(days=1)
    params = {"apikey": server.apikey, "from": str(end - timedelta(days=5)), "to": str(end)}
    as_json = requests.get(f"{server.url}/api/v1/ticker/NSE:SBIN", params=params, timeout=30)
    assert as_json.status_code == 200 and as_json.json()["data"][-1]["timestamp"] % 86400 == 0
    text = requests.get(f"{server.url}/api/v1/ticker/NSE:SBIN", params={**params, "format": "txt"}, timeout=30)
    assert text.headers["Content-Type"].startswith("text/plain")
    assert text.text.splitlines()[-1].startswith(f"NSE:SBIN,{end},")
    intraday = requests.get(f"{server.url}/api/v1/ticker/NSE:SBIN", timeout=30, params={
        **params, "interval": "1h", "from": str(end - timedelta(days=90)), "format": "txt"}).text.splitlines()
    assert intraday[0].startswith(f"NSE:SBIN,{end - timedelta(days=29)},") and len(intraday[0].split(",")) == 8
    unknown = requests.get(f"{server.url}/api/v1/ticker/NSE:NOSUCH", params={**params, "format": "txt"}, timeout=30)
    assert unknown.status_code == 400 and "NOSUCH" in unknown.text and not unknown.text.startswith("{")
