"""The intraday P&L curve: today's fills marked to market at each candle close."""
from __future__ import annotations

from datetime import datetime

import pytest
from flask import Flask

from services import paper_account
from services.pnl_curve import curve, trade_epoch
from tests.dashboard.conftest import Browser, signed_in
from tests.paper.conftest import Clock
from utils.market_calendar import IST

TODAY = datetime(2026, 3, 2, 15, 0, tzinfo=IST)
T0 = int(datetime(2026, 3, 2, 9, 15, tzinfo=IST).timestamp())


def _bars(*closes: float) -> list[dict]:
    return [{"timestamp": T0 + 300 * i, "close": close} for i, close in enumerate(closes)]


def test_buy_then_partial_sell_is_marked_to_each_close():
    trades = [{"symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": 10, "average_price": 100.0,
               "timestamp": "02-Mar-2026 09:16:00"},
              {"symbol": "SBIN", "exchange": "NSE", "action": "SELL", "quantity": 4, "average_price": 103.0,
               "timestamp": "2026-03-02 09:26:30"}]
    points = curve(trades, {("SBIN", "NSE"): _bars(101.0, 102.0, 99.0)}, TODAY)
    # 09:15 bar: 10 × (101 − 100); 09:20: 10 × 2; 09:25 bar (sell inside it): 12 realized + 6 × (99 − 100)
    assert points == [{"time": T0, "value": 10.0}, {"time": T0 + 300, "value": 20.0},
                      {"time": T0 + 600, "value": 6.0}]


def test_bars_before_the_first_fill_count_zero_and_unknown_stamps_count_from_midnight():
    trades = [{"symbol": "INFY", "exchange": "NSE", "action": "SELL", "quantity": 2, "average_price": 50.0,
               "timestamp": "10:05"}]
    assert trade_epoch("10:05", TODAY) == datetime(2026, 3, 2, tzinfo=IST).timestamp()
    assert [p["value"] for p in curve(trades, {("INFY", "NSE"): _bars(49.0, 51.0)}, TODAY)] == [2.0, -2.0]
    late = [{**trades[0], "timestamp": "02-Mar-2026 09:30:00"}]
    assert [p["value"] for p in curve(late, {("INFY", "NSE"): _bars(49.0, 51.0)}, TODAY)] == [0.0, 0.0]


def _trade(browser: Browser, symbol: str, action: str) -> None:
    response = browser.api("placeorder", strategy="curve", symbol=symbol, exchange="CDS", action=action,
                           pricetype="MARKET", product="NRML", quantity=1)
    assert response.status_code == 200 and response.get_json()["mode"] == "analyze", response.get_json()


@pytest.mark.dates  # the day and time matter: ./test.sh reruns it under shifted clocks
def test_a_usdinr_contract_round_trip_in_the_sandbox_ends_at_the_realised_pnl_of_usd_1000(dash_app: Flask):
    """Issue 23: quantity 1 of USDINR is one contract of USD 1,000 in the simulated market, so the curve
    counts 1,000 x the rate's move, as the sandbox's funds do, and marks the open contract the same way."""
    clock = Clock()
    dash_app.config["OPENALGO_CLOCK"] = clock
    browser = signed_in(dash_app)
    assert browser.api("analyzer/toggle", mode=True).status_code == 200
    with dash_app.app_context():
        engine = paper_account.paper_engine(browser.user_id)
        futures = [row for row in engine.catalog().rows if row.symbol.startswith("USDINR") and row.kind == "future"]
    future = max(futures, key=lambda row: row.expiry_epoch)     # the far month: no expiry during the test
    _trade(browser, future.symbol, "BUY")
    clock.advance(minutes=12)
    held = browser.get_json("/dashboard/pnl")["points"]
    funds = browser.api("funds").get_json()["data"]
    open_pnl = funds["m2munrealized"]
    # the last bar's close is the sandbox's last price (the open contract is marked 1,000 x its move)
    assert held[-1]["value"] == pytest.approx(open_pnl, abs=0.01)

    clock.advance(minutes=13)
    _trade(browser, future.symbol, "SELL")
    with dash_app.app_context():
        bought, sold = (row.price for row in engine.trades(browser.user_id))
    realised = browser.api("funds").get_json()["data"]["m2mrealized"]
    assert realised == pytest.approx(1000 * (sold - bought), abs=0.01)
    points = browser.get_json("/dashboard/pnl")["points"]
    assert points[-1]["value"] == pytest.approx(realised, abs=0.01)
