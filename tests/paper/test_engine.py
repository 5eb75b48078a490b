"""The paper order engine end to end on the database (SQLite and PostgreSQL), with a moved clock."""
from __future__ import annotations

import secrets
from datetime import timedelta

import numpy as np
import pytest

from broker.errors import InsufficientFunds, InvalidOrder, OrderNotFound, OrderRejected
from broker.paper import prices
from broker.paper.engine import EngineSettings, PaperEngine
from broker.paper.margins import position_margin
from broker.paper.calendar import IST
from broker.paper.universe import index_spec
from tests.paper.conftest import Paper, utc
from tests.support.prices import resting_buy

pytestmark = pytest.mark.dates  # the day and time matter: ./test.sh reruns it under shifted clocks


def nifty_future(paper: Paper):
    return next(row for row in paper.engine.catalog().rows if row.symbol.startswith("NIFTY") and row.kind == "future")


def test_market_buy_fills_inside_the_spread_plus_slippage(paper: Paper):
    sbin = paper.engine.instrument("SBIN", "NSE")
    quote = paper.engine.quote(sbin)
    order = paper.engine.place(paper.user_id, symbol="SBIN", exchange="NSE", action="BUY", quantity=10)
    assert order.status == "complete" and order.filled_quantity == 10
    assert len(order.orderid) == 14 and order.orderid.startswith(paper.clock().astimezone(IST).strftime("%y%m%d"))
    slippage = paper.engine.settings.slippage
    assert quote["bid"] <= order.average_price <= quote["ask"] * (1 + slippage) + sbin.tick_size
    trades = paper.engine.trades(paper.user_id)
    assert [(t.orderid, t.quantity, t.price) for t in trades] == [(order.orderid, 10, order.average_price)]


def test_limit_below_the_market_rests_then_fills_when_the_price_crosses(paper: Paper):
    sbin = paper.engine.instrument("SBIN", "NSE")
    now = paper.clock()
    epochs, path = prices.price_range(sbin, now, now + timedelta(hours=6), 0)
    quote = paper.engine.quote(sbin)
    below = path < quote["bid"] - 5 * sbin.tick_size
    assert below.any(), "the simulated path should dip below the bid within six hours"
    first = int(np.argmax(below))
    limit = float(path[first])
    order = paper.engine.place(paper.user_id, symbol="SBIN", exchange="NSE", action="BUY", quantity=10,
                               pricetype="LIMIT", price=limit)
    assert order.status == "open"
    paper.clock.at = utc(now) + timedelta(seconds=int(epochs[first] - now.timestamp()) - 1)
    assert paper.engine.orders(paper.user_id)[0].status == "open"
    paper.clock.advance(seconds=1)
    filled = paper.engine.orders(paper.user_id)[0]
    assert (filled.status, filled.average_price) == ("complete", limit)
    assert paper.engine.trades(paper.user_id)[0].created_at.replace(tzinfo=None) == \
        utc(paper.clock()).replace(tzinfo=None)


def test_an_order_that_is_not_a_lot_multiple_is_rejected_naming_the_lot_size(paper: Paper):
    future, lot = nifty_future(paper), index_spec("NIFTY").lotsize
    assert future.lotsize == lot
    with pytest.raises(InvalidOrder, match=rf"Quantity 7 is not a multiple of the lot size {lot}"):
        paper.engine.place(paper.user_id, symbol=future.symbol, exchange="NFO", action="BUY", quantity=7,
                           product="NRML")
    [order] = paper.engine.orders(paper.user_id)
    assert order.status == "rejected" and f"lot size {lot}" in order.rejection_reason


@pytest.mark.parametrize("field, value, message", [
    ("price", lambda ltp: resting_buy(ltp) + 0.03, "not a multiple of the tick size 0.05"),
    ("price", lambda ltp: resting_buy(ltp * 3), "outside the price band"),
    ("product", lambda ltp: "NRML", "NRML is not allowed on NSE"),
])
def test_broker_style_checks(paper_sqlite: Paper, field: str, value, message: str):
    ltp = paper_sqlite.engine.quote(paper_sqlite.engine.instrument("SBIN", "NSE"))["ltp"]
    args = {"symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": 1, "pricetype": "LIMIT",
            "price": resting_buy(ltp), "product": "MIS", field: value(ltp)}
    with pytest.raises(InvalidOrder, match=message):
        paper_sqlite.engine.place(paper_sqlite.user_id, **args)


def test_index_is_not_tradable(paper_sqlite: Paper):
    with pytest.raises(InvalidOrder, match="index and cannot be traded"):
        paper_sqlite.engine.place(paper_sqlite.user_id, symbol="NIFTY", exchange="NSE_INDEX", action="BUY",
                                  quantity=1)


def test_positions_and_funds_move_consistently(paper: Paper):
    engine, user = paper.engine, paper.user_id
    future = nifty_future(paper)
    engine.place(user, symbol=future.symbol, exchange="NFO", action="BUY", quantity=2 * future.lotsize, product="NRML")
    engine.place(user, symbol="SBIN", exchange="NSE", action="BUY", quantity=10, product="MIS")
    snap = engine.snapshot(user)
    margins = {p.symbol: position_margin(engine.instrument(p.symbol, p.exchange), p.product, p.quantity,
                                         p.average_price) for p in snap.positions}
    assert snap.funds.utilised_debits == pytest.approx(sum(margins.values()), abs=0.05)
    assert snap.funds.available_cash == pytest.approx(10_000_000 - snap.funds.utilised_debits, abs=0.05)
    paper.clock.advance(minutes=30)
    engine.place(user, symbol=future.symbol, exchange="NFO", action="SELL", quantity=2 * future.lotsize, product="NRML")
    engine.place(user, symbol="SBIN", exchange="NSE", action="SELL", quantity=10, product="MIS")
    after = engine.snapshot(user)
    assert after.funds.utilised_debits == 0
    realized = sum(p.realized_pnl for p in after.positions)
    assert all(p.quantity == 0 for p in after.positions)
    assert after.funds.m2m_realized == pytest.approx(realized, abs=0.05)
    assert after.funds.available_cash == pytest.approx(10_000_000 + realized, abs=0.05)


def test_insufficient_funds_is_rejected(paper_sqlite: Paper):
    paper = paper_sqlite
    engine = PaperEngine(EngineSettings(capital=100_000), clock=paper.clock)
    with pytest.raises(InsufficientFunds, match="Insufficient funds"):
        engine.place(paper.user_id, symbol="RELIANCE", exchange="NSE", action="BUY", quantity=1000, product="CNC")


def test_stop_loss_market_waits_for_its_trigger(paper: Paper):
    engine, user = paper.engine, paper.user_id
    sbin = engine.instrument("SBIN", "NSE")
    now = paper.clock()
    _, path = prices.price_range(sbin, now, now + timedelta(hours=6), 0)
    ltp = engine.quote(sbin)["ltp"]
    trigger = float(path.min()) + sbin.tick_size
    assert trigger < ltp
    engine.place(user, symbol="SBIN", exchange="NSE", action="BUY", quantity=5)
    order = engine.place(user, symbol="SBIN", exchange="NSE", action="SELL", quantity=5, pricetype="SL-M",
                         trigger_price=round(trigger, 2))
    assert order.status == "trigger pending"
    paper.clock.advance(hours=6)
    done = [o for o in engine.orders(user) if o.orderid == order.orderid][0]
    assert done.status == "complete" and done.average_price <= trigger


def test_modify_and_cancel_an_open_order(paper: Paper):
    engine, user = paper.engine, paper.user_id
    price = resting_buy(engine.quote(engine.instrument("SBIN", "NSE"))["ltp"], below=0.9)
    order = engine.place(user, symbol="SBIN", exchange="NSE", action="BUY", quantity=10, pricetype="LIMIT",
                         price=price)
    funds_with_order = engine.snapshot(user).funds
    assert funds_with_order.utilised_debits == pytest.approx(10 * price * 0.2)
    higher = round(price + 10, 2)
    modified = engine.modify(user, order.orderid, quantity=20, pricetype="LIMIT", price=higher, trigger_price=0)
    assert (modified.quantity, modified.price, modified.status) == (20, higher, "open")
    assert engine.snapshot(user).funds.utilised_debits == pytest.approx(20 * higher * 0.2)
    with pytest.raises(InvalidOrder, match="tick size"):
        engine.modify(user, order.orderid, quantity=20, pricetype="LIMIT", price=higher + 0.01, trigger_price=0)
    assert engine.orders(user)[0].price == higher
    engine.cancel(user, order.orderid)
    assert engine.orders(user)[0].status == "cancelled"
    assert engine.snapshot(user).funds.utilised_debits == 0
    with pytest.raises(OrderRejected, match="already cancelled"):
        engine.cancel(user, order.orderid)
    with pytest.raises(OrderNotFound):
        engine.cancel(user, paper.clock().astimezone(IST).strftime("%y%m%d") + "00000000")


def test_mis_positions_are_squared_off_at_the_square_off_time(paper: Paper):
    engine, user = paper.engine, paper.user_id
    engine.place(user, symbol="SBIN", exchange="NSE", action="BUY", quantity=10, product="MIS")
    engine.place(user, symbol="INFY", exchange="NSE", action="BUY", quantity=10, product="CNC")
    paper.clock.advance(hours=5, minutes=14)      # 15:14 IST
    assert {p.symbol: p.quantity for p in engine.snapshot(user).positions} == {"SBIN": 10, "INFY": 10}
    paper.clock.advance(minutes=2)                # 15:16 IST
    positions = {p.symbol: p.quantity for p in engine.snapshot(user).positions}
    assert positions == {"SBIN": 0, "INFY": 10}
    squareoff = engine.orders(user)[-1]
    assert (squareoff.strategy, squareoff.action, squareoff.status) == ("auto square-off", "SELL", "complete")


def test_cnc_buys_become_holdings_the_next_day(paper: Paper):
    engine, user = paper.engine, paper.user_id
    order = engine.place(user, symbol="INFY", exchange="NSE", action="BUY", quantity=10, product="CNC")
    assert engine.snapshot(user).holdings == []
    paper.clock.advance(days=1)
    snap = engine.snapshot(user)
    [holding] = snap.holdings
    assert (holding.symbol, holding.quantity, holding.average_price) == ("INFY", 10, order.average_price)
    quote = engine.quote(engine.instrument("INFY", "NSE"))
    assert holding.ltp == quote["ltp"]    # marked to the same price a quote shows, the day's P&L from its close
    assert holding.raw["day_pnl"] == pytest.approx(10 * (quote["ltp"] - quote["prev_close"]), abs=0.01)
    assert snap.positions == [] and snap.funds.utilised_debits == 0
    assert snap.funds.available_cash == pytest.approx(10_000_000 - 10 * order.average_price, abs=0.05)
    sale = engine.place(user, symbol="INFY", exchange="NSE", action="SELL", quantity=10, product="CNC")
    after = engine.snapshot(user)
    assert after.holdings == []
    gain = 10 * (sale.average_price - order.average_price)
    assert after.funds.m2m_realized == pytest.approx(gain, abs=0.05)
    assert after.funds.available_cash == pytest.approx(10_000_000 + gain, abs=0.05)
    with pytest.raises(InvalidOrder, match="Insufficient holdings"):
        engine.place(user, symbol="INFY", exchange="NSE", action="SELL", quantity=1, product="CNC")


def test_resting_orders_expire_at_the_end_of_their_day(paper_sqlite: Paper):
    paper = paper_sqlite
    engine, user = paper.engine, paper.user_id
    engine.place(user, symbol="SBIN", exchange="NSE", action="BUY", quantity=1, pricetype="LIMIT",
                 price=resting_buy(engine.quote(engine.instrument("SBIN", "NSE"))["ltp"], below=0.9), product="CNC")
    paper.clock.advance(days=1)
    [order] = engine.orders(user)
    assert order.status == "cancelled" and "expired" in order.rejection_reason
    assert engine.snapshot(user).funds.utilised_debits == 0


def test_reset_starts_over(paper: Paper):
    engine, user = paper.engine, paper.user_id
    engine.place(user, symbol="SBIN", exchange="NSE", action="BUY", quantity=10, product="MIS")
    engine.reset(user)
    snap = engine.snapshot(user)
    assert engine.orders(user) == [] and snap.positions == []
    assert snap.funds.available_cash == 10_000_000 and snap.funds.raw["reset_count"] == 1


def test_exchange_session_refuses_orders_outside_market_hours(paper_sqlite: Paper):
    paper = paper_sqlite
    engine = PaperEngine(EngineSettings(session="exchange"), clock=paper.clock)
    paper.clock.advance(hours=7)                  # 17:00 IST
    with pytest.raises(InvalidOrder, match=r"NSE is closed; orders are accepted 09:15-15:30 IST"):
        engine.place(paper.user_id, symbol="SBIN", exchange="NSE", action="BUY", quantity=1)
    mcx = next(r for r in engine.catalog().rows if r.exchange == "MCX" and r.symbol.startswith("CRUDEOIL"))
    order = engine.place(paper.user_id, symbol=mcx.symbol, exchange="MCX", action="BUY", quantity=mcx.lotsize,
                         product="NRML")
    assert order.status == "complete"             # MCX trades until 23:30 or 23:55 IST


def test_stop_loss_limit_triggers_then_fills_at_its_limit(paper_sqlite: Paper):
    paper = paper_sqlite
    engine, user = paper.engine, paper.user_id
    now = paper.clock()

    def rise(symbol: str) -> tuple[float, float]:   # (last price, a trigger the next 6 hours cross)
        inst = engine.instrument(symbol, "NSE")
        _, path = prices.price_range(inst, now, now + timedelta(hours=6), 0)
        return engine.quote(inst)["ltp"], round(float(path.max()) - 2 * inst.tick_size, 2)

    # a stock whose price rises more than two ticks within 6 hours (a random walk's rarely stays flat)
    symbol, (ltp, trigger) = next((s, r) for s in ("SBIN", "INFY", "ITC", "TCS", "RELIANCE")
                                  if (r := rise(s))[1] > r[0])
    order = engine.place(user, symbol=symbol, exchange="NSE", action="BUY", quantity=3, pricetype="SL",
                         price=round(trigger + 1, 2), trigger_price=trigger)
    assert order.status == "trigger pending"
    with pytest.raises(InvalidOrder, match="must be above the last price"):
        engine.place(user, symbol=symbol, exchange="NSE", action="BUY", quantity=3, pricetype="SL-M",
                     trigger_price=round(ltp - 1, 2))
    paper.clock.advance(hours=6)
    done = engine.orders(user)[0]
    assert done.status == "complete" and trigger <= done.average_price <= trigger + 1


def test_exchange_session_fills_resting_orders_only_in_market_hours(paper_sqlite: Paper):
    paper = paper_sqlite
    engine = PaperEngine(EngineSettings(session="exchange"), clock=paper.clock)
    paper.clock.advance(hours=5, minutes=20)      # 15:20 IST, ten minutes before the close
    sbin = engine.instrument("SBIN", "NSE")
    now = paper.clock()
    epochs, path = prices.price_range(sbin, now, now + timedelta(hours=8), 0)
    in_hours, after_close = path[: 10 * 60 - 1], path[10 * 60:]
    limit = round(min(float(path.min()), float(in_hours.min()) - sbin.tick_size * 2), 2)
    if not (after_close <= limit).any() or (in_hours <= limit).any():
        pytest.skip("the seeded path does not cross the limit only after the close")
    order = engine.place(paper.user_id, symbol="SBIN", exchange="NSE", action="BUY", quantity=1,
                         pricetype="LIMIT", price=limit, product="CNC")
    paper.clock.advance(hours=8)
    assert [o.status for o in engine.orders(paper.user_id) if o.orderid == order.orderid] == ["open"]


def test_order_and_trade_books_show_the_current_day(paper: Paper):
    engine, user = paper.engine, paper.user_id
    engine.place(user, symbol="SBIN", exchange="NSE", action="BUY", quantity=1, product="CNC")
    paper.clock.advance(days=1)
    assert engine.orders(user) == [] and engine.trades(user) == []
    today = engine.place(user, symbol="SBIN", exchange="NSE", action="BUY", quantity=2, product="CNC")
    assert [o.orderid for o in engine.orders(user)] == [today.orderid]
    assert [t.quantity for t in engine.trades(user)] == [2]


def test_an_order_id_clash_is_retried_with_a_fresh_id_and_leaves_the_stored_order_alone(paper: Paper, monkeypatch):
    first = paper.engine.place(paper.user_id, symbol="SBIN", exchange="NSE", action="BUY", quantity=1)
    clashing = int(first.orderid[6:])
    draws = iter([clashing])   # the next order draws the stored order's digits once, then random ones
    real = secrets.randbelow
    monkeypatch.setattr(secrets, "randbelow", lambda bound: next(draws, None) or real(bound))
    second = paper.engine.place(paper.user_id, symbol="SBIN", exchange="NSE", action="BUY", quantity=2)
    assert second.orderid != first.orderid and second.status == "complete"
    book = {o.orderid: o.quantity for o in paper.engine.orders(paper.user_id)}
    assert book == {first.orderid: 1, second.orderid: 2}
    position = next(p for p in paper.engine.snapshot(paper.user_id).positions if p.symbol == "SBIN")
    assert position.quantity == 3
