"""The fake Kite speaks Kite Connect v3: kiteconnect, Zerodha's official Python SDK (PyPI, in a venv of its
own: sdk-requirements.txt), logs in with the checksum, places / modifies / cancels orders, reads the books,
positions, holdings, margins, quotes, candles and the instrument list, and decodes the ticker's binary
frames, all against tests/fakes/kite_server.py and kite_ticker.py. The SDK is pointed at the fakes with its
own `root` arguments (sdk_driver.py); a call the SDK could not parse, or an answer it reads differently
from Kite's, fails here. This is the pattern every broker's fake follows (docs/adding-a-broker.md)."""
from __future__ import annotations

import hashlib
import json
import select
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.fakes.fixtures import kite_json
from tests.fakes.kite_server import API_KEY, API_SECRET, REQUEST_TOKEN, KiteServer
from tests.fakes.kite_ticker import INFY, KiteTickerServer
from tests.support.net import free_port
from tests.support.sdk_venv import sdk_python
from utils.config import PROJECT_ROOT

HERE = Path(__file__).parent
DRIVER = HERE / "sdk_driver.py"


def _drive(python: Path, rest_url: str, ticker_url: str, *extra: str) -> dict[str, Any]:
    result = subprocess.run([str(python), str(DRIVER), rest_url, ticker_url, API_KEY, API_SECRET, REQUEST_TOKEN,
                             *extra], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def sdk() -> Path:
    return sdk_python("zerodha", HERE / "sdk-requirements.txt")


@pytest.fixture(scope="module")
def sdk_run(sdk: Path) -> Iterator[tuple[dict[str, Any], KiteServer]]:
    ticker = KiteTickerServer(interval=0.05)
    try:
        with KiteServer() as kite:
            yield _drive(sdk, kite.url, ticker.url), kite
    finally:
        ticker.close()


def test_login_exchanges_the_request_token_and_checksum_for_the_access_token(sdk_run) -> None:
    out, kite = sdk_run
    assert out["login_url"].endswith(f"?api_key={API_KEY}&v=3")
    assert out["session"]["access_token"] == kite.access_token and out["session"]["user_id"]
    assert out["profile"]["user_id"] == kite_json("profile.json")["data"]["user_id"]
    assert out["wrong_checksum"] == {"error": "TokenException", "message": "Invalid checksum", "code": 403}
    login = kite.requests_to("/session/token", "POST")[0]
    assert login.form["checksum"] == hashlib.sha256((API_KEY + REQUEST_TOKEN + API_SECRET).encode()).hexdigest()
    profile = kite.requests_to("/user/profile")[0]
    assert profile.headers["X-Kite-Version"] == "3"
    assert profile.headers["Authorization"] == f"token {API_KEY}:{kite.access_token}"


def test_place_modify_cancel_and_the_order_and_trade_books(sdk_run) -> None:
    out, kite = sdk_run
    limit, market = out["place_limit"], out["place_market"]
    assert out["modify"] == out["cancel"] == limit
    modified = out["history_after_modify"][-1]
    assert (modified["quantity"], modified["price"], modified["status"], modified["tag"]) == (2, 1401.0, "OPEN", "sdk")
    assert modified["instrument_token"] == INFY
    assert datetime.fromisoformat(modified["order_timestamp"])          # the SDK parsed Kite's timestamp text
    book = {o["order_id"]: o for o in out["orders"]}
    assert book[limit]["status"] == "CANCELLED" and book[market]["status"] == "COMPLETE"
    assert [t["quantity"] for t in out["order_trades"]] == [3]
    assert market in {t["order_id"] for t in out["trades"]}
    assert out["market_without_protection"]["error"] == "InputException"
    place = kite.requests_to("/orders/regular", "POST")[0]
    assert place.form["order_type"] == "LIMIT" and place.form["price"] == "1400.5" and place.form["quantity"] == "1"
    assert kite.requests_to("/orders/regular", "POST")[1].form["market_protection"] == "-1"


def test_positions_holdings_and_margins_read_as_the_sdk_expects(sdk_run) -> None:
    out, _ = sdk_run
    assert set(out["positions"]) == {"net", "day"} and out["positions"]["net"][0]["tradingsymbol"]
    assert out["holdings"] and {"tradingsymbol", "quantity", "average_price"} <= set(out["holdings"][0])
    assert set(out["margins"]) == {"equity", "commodity"}
    assert out["margins_equity"]["net"] == kite_json("margins.json")["data"]["equity"]["net"]


def test_quote_ltp_ohlc_history_and_instruments(sdk_run) -> None:
    out, kite = sdk_run
    assert list(out["quote"]) == ["NSE:INFY"]                    # an unknown scrip is left out, as Kite does
    assert len(out["quote"]["NSE:INFY"]["depth"]["buy"]) == 5 and out["quote"]["NSE:INFY"]["instrument_token"] == INFY
    assert out["ltp"]["NSE:INFY"]["last_price"] > 0 and out["ohlc"]["NSE:INFY"]["ohlc"]["open"] > 0
    candles = out["historical"]
    assert candles and datetime.fromisoformat(candles[0]["date"]).utcoffset().total_seconds() == 5.5 * 3600
    assert all("oi" in c for c in out["historical_oi"]) and out["historical_oi"]
    assert out["historical_too_long"]["error"] == "InputException"
    assert kite.requests_to("/instruments/historical/")[0].args["from"] == ["2017-12-15 09:00:00"]
    row = out["instruments_nse"][0]
    assert isinstance(row["instrument_token"], int) and isinstance(row["tick_size"], float)


def test_the_sdk_ticker_decodes_the_fakes_binary_frames_to_the_recorded_values(sdk_run) -> None:
    out, _ = sdk_run
    assert "ticker_errors" not in out
    recorded = kite_json("ticker_full.json")
    tick = out["ticks"][0]
    assert (tick["instrument_token"], tick["mode"], tick["tradable"]) == (INFY, "full", True)
    assert (tick["last_price"], tick["last_traded_quantity"], tick["average_traded_price"], tick["volume_traded"],
            tick["total_buy_quantity"], tick["total_sell_quantity"]) == (
        recorded["last_price"], recorded["last_quantity"], recorded["average_price"], recorded["volume"],
        recorded["buy_quantity"], recorded["sell_quantity"])
    assert tick["ohlc"] == recorded["ohlc"] and tick["depth"] == recorded["depth"]
    assert len(out["ticks"]) == 3


def test_the_fake_runs_on_its_own_for_any_client(sdk: Path) -> None:
    port, ticker_port = free_port(), free_port()
    fake = subprocess.Popen([sys.executable, "-m", "tests.fakes.kite", "--port", str(port),
                             "--ticker-port", str(ticker_port)], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert select.select([fake.stdout], [], [], 30)[0], "the fake did not start within 30 s"
        assert fake.stdout.readline().startswith(f"fake kite: REST http://127.0.0.1:{port} ticker ")
        out = _drive(sdk, f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{ticker_port}", "smoke")
        assert out["session"]["access_token"] == "kiteaccesstoken" and out["profile"]["user_id"]
    finally:
        fake.terminate()
        assert fake.wait(10) == 0
