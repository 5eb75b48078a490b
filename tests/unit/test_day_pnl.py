"""Day P&L arithmetic (utils/day_pnl.py) and the report's rows (services/pnl_report.symbol_days):
average-cost realised P&L with partial closes, shorts and flips; unrealised marked to the last price."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from broker.contract import Holding, Position, Trade
from services.pnl_report import symbol_days
from utils.day_pnl import Fill, replay, side_totals, totals, unrealized


def test_long_partial_close_realises_on_the_average_and_keeps_it():
    result = replay([Fill("BUY", 10, 100.0), Fill("BUY", 10, 110.0), Fill("SELL", 5, 120.0)])
    # average 105 after the two buys; 5 sold 15 above it
    assert (result.quantity, result.average_price, result.realized) == (15, 105.0, 75.0)
    assert unrealized(result.quantity, result.average_price, 101.0) == pytest.approx(-60.0)


def test_short_gains_when_the_price_falls_and_a_partial_cover_realises():
    result = replay([Fill("SELL", 8, 200.0), Fill("BUY", 3, 190.0)])
    assert (result.quantity, result.average_price, result.realized) == (-5, 200.0, 30.0)
    assert unrealized(-5, 200.0, 204.0) == pytest.approx(-20.0)   # short loses as the price rises


def test_a_fill_through_zero_closes_then_opens_the_rest_at_its_price():
    result = replay([Fill("BUY", 4, 50.0), Fill("SELL", 10, 47.5)])
    assert (result.quantity, result.average_price, result.realized) == (-6, 47.5, -10.0)
    closed = replay([Fill("SELL", 2, 10.0), Fill("BUY", 2, 12.0)])
    assert (closed.quantity, closed.average_price, closed.realized) == (0, 0.0, -4.0)


def test_replay_continues_a_carried_position():
    result = replay([Fill("SELL", 30, 99.0)], opening_quantity=50, opening_average=90.0)
    assert (result.quantity, result.average_price, result.realized) == (20, 90.0, 270.0)


def test_side_totals_are_volume_weighted():
    sides = side_totals([Fill("BUY", 10, 100.0), Fill("BUY", 30, 104.0), Fill("SELL", 5, 103.0)])
    assert (sides.buy_quantity, sides.buy_average, sides.sell_quantity, sides.sell_average) == (40, 103.0, 5, 103.0)
    assert side_totals([]).buy_average == 0.0


@given(st.lists(st.tuples(st.sampled_from(["BUY", "SELL"]), st.integers(1, 500), st.integers(1, 100_000)),
                min_size=1, max_size=30), st.integers(1, 100_000))
def test_realised_plus_unrealised_is_the_cash_flow_plus_the_marked_position(legs, last_paise):
    """Whatever the order of fills, the average-cost split adds up to the plain mark-to-market P&L."""
    fills = [Fill(action, qty, paise / 100) for action, qty, paise in legs]
    last = last_paise / 100
    result = replay(fills)
    cash = sum(-f.signed * f.price for f in fills)
    assert result.realized + unrealized(result.quantity, result.average_price, last) == \
        pytest.approx(cash + result.quantity * last, abs=1e-6)


def _trade(action: str, qty: int, price: float, symbol: str = "SBIN", product: str = "MIS") -> Trade:
    return Trade(order_id="1", symbol=symbol, exchange="NSE", action=action, quantity=qty, average_price=price,
                 product=product)


def test_engine_rows_take_the_engines_split_and_the_days_fills():
    position = Position(symbol="SBIN", exchange="NSE", product="MIS", quantity=5, average_price=100.0, ltp=103.0,
                        pnl=35.0, realized_pnl=20.0, unrealized_pnl=15.0)
    [row] = symbol_days([position], [_trade("BUY", 10, 100.0), _trade("SELL", 5, 104.0)], engine_split=True)
    body = row.as_row()
    assert body["today_realized_pnl"] == 20.0 and body["unrealized_pnl"] == 15.0
    assert body["total_pnl_today"] == body["pnl"] == 35.0
    assert (body["buy_quantity"], body["buy_average"], body["sell_quantity"], body["sell_average"]) == (10, 100.0, 5, 104.0)


def test_live_rows_replay_the_days_fills_from_the_carried_position():
    carried = Position(symbol="INFY", exchange="NSE", product="NRML", quantity=-4, average_price=50.0, ltp=48.0)
    closed = Position(symbol="SBIN", exchange="NSE", product="MIS", quantity=0, average_price=0.0, ltp=101.0)
    trades = [_trade("SELL", 6, 50.0, "INFY", "NRML"), _trade("BUY", 2, 46.0, "INFY", "NRML"),
              _trade("BUY", 10, 100.0), _trade("SELL", 10, 99.0)]
    rows = {r.symbol: r for r in symbol_days([carried, closed], trades, engine_split=False)}
    # INFY: held −4 at the end, net today −4, so nothing carried; short 6 at 50, 2 covered at 46
    assert rows["INFY"].realized == pytest.approx(8.0) and rows["INFY"].unrealized == pytest.approx(8.0)
    assert rows["SBIN"].realized == pytest.approx(-10.0) and rows["SBIN"].unrealized == 0.0
    assert totals(rows.values()) == {"total_pnl": 6.0, "total_unrealized_pnl": 8.0,
                                     "total_today_realized_pnl": -2.0, "total_pnl_today": 6.0, "total_charges": 0.0}


def test_rows_without_trades_or_quantity_or_pnl_are_left_out():
    flat = Position(symbol="TCS", exchange="NSE", product="MIS", quantity=0, average_price=0.0, ltp=10.0)
    assert symbol_days([flat], [], engine_split=True) == []


def test_a_carried_engine_position_counts_from_the_previous_close_and_shows_its_charges():
    # short 50 at 200 carried from yesterday's close of 190 (carry +500); now 185, part covered today
    carried = Position(symbol="NIFTYFUT", exchange="NFO", product="NRML", quantity=-30, average_price=200.0,
                       ltp=185.0, realized_pnl=260.0, unrealized_pnl=450.0,
                       raw={"day_pnl": 210.0, "close_price": 190.0, "overnight_quantity": -50})
    cover = Trade(order_id="9", symbol="NIFTYFUT", exchange="NFO", action="BUY", quantity=20, average_price=187.0,
                  product="NRML", raw={"charges": 12.5})
    [row] = symbol_days([carried], [cover], engine_split=True)
    body = row.as_row()
    assert body["total_pnl_today"] == 210.0 and body["today_realized_pnl"] == 260.0
    assert body["unrealized_pnl"] == -50.0 and body["charges"] == 12.5
    assert totals([row])["total_charges"] == 12.5


def test_live_fills_are_replayed_in_time_order_whatever_order_the_broker_lists_them():
    def fill(action: str, qty: int, price: float, at: str) -> Trade:
        return Trade(order_id=at, symbol="SBIN", exchange="NSE", action=action, quantity=qty, average_price=price,
                     product="MIS", timestamp=f"02-Mar-2026 {at}")
    newest_first = [fill("BUY", 5, 90.0, "10:30:00"), fill("SELL", 5, 110.0, "10:00:00"), fill("BUY", 10, 100.0, "09:30:00")]
    held = Position(symbol="SBIN", exchange="NSE", product="MIS", quantity=10, average_price=95.0, ltp=96.0)
    [row] = symbol_days([held], newest_first, engine_split=False)
    # 10 bought at 100, 5 of them sold at 110 (+50), 5 bought back at 90: 10 held at 95
    assert (row.realized, row.unrealized) == (50.0, 10.0)


def test_an_engine_sale_from_holdings_moves_no_position_and_books_no_symbol_pnl():
    sale = Trade(order_id="3", symbol="TCS", exchange="NSE", action="SELL", quantity=5, average_price=30.0, product="CNC")
    [row] = symbol_days([], [sale], engine_split=True)
    assert (row.quantity, row.sides.sell_quantity, row.realized, row.unrealized) == (0, 5, 0.0, 0.0)


def test_a_holding_joins_its_symbols_cnc_row_with_its_day_pnl():
    # bought 4 today (a CNC position) beside a holding of 6 marked at 100 at the last rollover; 2 of the
    # holding sold today at 104 (realised against the mark), the rest marked to 103
    today = Position(symbol="SBIN", exchange="NSE", product="CNC", quantity=4, average_price=101.0, ltp=103.0,
                     pnl=8.0, realized_pnl=0.0, unrealized_pnl=8.0)
    holding = Holding(symbol="SBIN", exchange="NSE", quantity=4, average_price=90.0, ltp=103.0,
                      raw={"prev_close": 100.0, "day_realized": 8.0, "day_pnl": 20.0})
    sold_out = Holding(symbol="INFY", exchange="NSE", quantity=0, average_price=50.0, ltp=55.0,
                       raw={"prev_close": 52.0, "day_realized": 9.0, "day_pnl": 9.0})
    trades = [_trade("BUY", 4, 101.0, product="CNC"), _trade("SELL", 2, 104.0, product="CNC"),
              _trade("SELL", 3, 55.0, symbol="INFY", product="CNC")]
    rows = {row.symbol: row.as_row() for row in symbol_days([today], trades, engine_split=True,
                                                            holdings=[holding, sold_out])}
    sbin, infy = rows["SBIN"], rows["INFY"]
    assert (sbin["product"], sbin["quantity"], sbin["average_price"]) == ("CNC", 8, 95.5)
    assert (sbin["today_realized_pnl"], sbin["unrealized_pnl"], sbin["pnl"]) == (8.0, 20.0, 28.0)
    assert (infy["quantity"], infy["sell_quantity"], infy["today_realized_pnl"], infy["pnl"]) == (0, 3, 9.0, 9.0)
    assert totals(symbol_days([today], trades, engine_split=True, holdings=[holding, sold_out]))["total_pnl"] == 37.0
