"""The intraday P&L curve: today's fills marked to market at each candle close."""
from __future__ import annotations

from datetime import datetime

from services.pnl_curve import curve, trade_epoch
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
