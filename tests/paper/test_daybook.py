"""The day-close record of the paper account (broker/paper/daybook.py): written at the day rollover,
once, with realised P&L from the day's fills and open positions marked to the day's closing price."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from broker.paper import daybook
from broker.paper.calendar import IST
from broker.paper.fills import load_positions
from database import paper as store
from database.paper_pnl import day_rows, day_totals
from tests.paper.conftest import Paper

pytestmark = pytest.mark.dates


def _next_session(paper: Paper) -> None:
    """10:00 IST of the next calendar day: the simulated market trades every day (PAPER_SESSION=always),
    and each day is recorded on its own (the gaps are test_an_idle_day_*'s)."""
    paper.clock.at = datetime.combine(paper.clock.at.date() + timedelta(days=1), time(10, 0), IST)


def _place(paper: Paper, action: str, quantity: int, symbol: str = "SBIN", product: str = "CNC",
           exchange: str = "NSE") -> float:
    order = paper.engine.place(paper.user_id, symbol=symbol, exchange=exchange, action=action, quantity=quantity,
                               product=product)
    return order.average_price


def _close(paper: Paper, symbol: str, exchange: str, next_day: date) -> float:
    inst = paper.engine.lookup(symbol, exchange)
    return paper.engine.market.close_before(inst, datetime.combine(next_day, time(0, 0), IST), paper.clock.at)


def test_the_rollover_records_the_day_once_with_partial_closes_and_the_square_off(paper: Paper):
    day = paper.clock.at.date()
    bought = _place(paper, "BUY", 10)
    sold = _place(paper, "SELL", 4)
    shorted = _place(paper, "SELL", 5, symbol="INFY", product="MIS")
    _next_session(paper)
    paper.engine.process(paper.user_id)     # the first call of the new day rolls the account over
    paper.engine.process(paper.user_id)
    rows = {row.symbol: row for row in day_rows(paper.user_id, day, day)}
    assert set(rows) == {"SBIN", "INFY"}
    sbin, infy = rows["SBIN"], rows["INFY"]
    assert (sbin.quantity, sbin.buy_quantity, sbin.sell_quantity) == (6, 10, 4)
    assert sbin.realized == pytest.approx(4 * (sold - bought), abs=1e-6)
    assert sbin.close_price == pytest.approx(_close(paper, "SBIN", "NSE", paper.clock.at.date()))
    assert sbin.unrealized == pytest.approx(6 * (sbin.close_price - sbin.average_price), abs=1e-3)
    # the MIS short was squared off at that day's square-off time, before the day was recorded
    assert (infy.quantity, infy.sell_quantity, infy.buy_quantity, infy.unrealized) == (0, 5, 5, 0.0)
    assert infy.realized == pytest.approx(5 * (shorted - infy.buy_average), abs=1e-3)
    [total] = day_totals(paper.user_id, day, day)
    assert total.total == pytest.approx(sum(r.realized + r.unrealized for r in rows.values()))
    assert len(day_rows(paper.user_id, day, paper.clock.at.date())) == 2   # once; today is not recorded yet


def test_a_carried_short_counts_from_the_previous_close_so_the_days_add_up(paper: Paper):
    future = max((row for row in paper.engine.catalog().rows if row.symbol.startswith("NIFTY") and row.kind == "future"),
                 key=lambda row: row.expiry_epoch)     # the far month: it does not expire during the test
    entry = _place(paper, "SELL", future.lotsize, symbol=future.symbol, product="NRML", exchange="NFO")
    first = paper.clock.at.date()
    _next_session(paper)
    second = paper.clock.at.date()
    paper.engine.process(paper.user_id)
    _next_session(paper)
    paper.engine.process(paper.user_id)
    [day_one] = day_rows(paper.user_id, first, first)
    [day_two] = day_rows(paper.user_id, second, second)
    assert (day_one.quantity, day_two.quantity) == (-future.lotsize, -future.lotsize)
    assert (day_two.buy_quantity, day_two.sell_quantity, day_two.realized) == (0, 0, 0.0)
    assert day_one.unrealized == pytest.approx(-future.lotsize * (day_one.close_price - entry), abs=1e-3)
    assert day_two.unrealized == pytest.approx(-future.lotsize * (day_two.close_price - day_one.close_price), abs=1e-3)
    # two days' P&L is the short's P&L from its entry to the second close
    assert day_one.unrealized + day_two.unrealized == pytest.approx(
        -future.lotsize * (day_two.close_price - entry), abs=1e-3)


def test_recording_a_day_again_replaces_it(paper: Paper):
    _place(paper, "BUY", 3)
    day = paper.clock.at.date()
    close = lambda symbol, exchange: 1.0  # noqa: E731 — a fixed mark: only the row count matters here
    for _ in range(2):
        with store.locked_account(paper.user_id) as locked:
            load_positions(locked.tx, paper.user_id, False)
            daybook.close_day(locked.tx, locked.account, day + timedelta(days=1), paper.clock.at, close)
    assert len(day_rows(paper.user_id, day, day)) == 1


def test_a_quiet_account_records_nothing(paper: Paper):
    paper.engine.process(paper.user_id)
    day = paper.clock.at.date()
    _next_session(paper)
    paper.engine.process(paper.user_id)
    assert day_rows(paper.user_id, day, paper.clock.at.date()) == []


def test_a_reset_starts_a_new_account_without_the_old_days(paper: Paper):
    _place(paper, "BUY", 5)
    first = paper.clock.at.date()
    _next_session(paper)
    paper.engine.process(paper.user_id)
    assert len(day_rows(paper.user_id, first, paper.clock.at.date())) == 1
    paper.engine.reset(paper.user_id)
    assert day_rows(paper.user_id, first, paper.clock.at.date()) == []
    # the new account's first day is recorded as usual at its rollover
    _place(paper, "BUY", 2, symbol="INFY")
    second = paper.clock.at.date()
    _next_session(paper)
    paper.engine.process(paper.user_id)
    assert [(row.day, row.symbol) for row in day_rows(paper.user_id, first, paper.clock.at.date())] == [(second, "INFY")]


def test_holdings_count_from_each_previous_close_so_the_days_add_up(paper: Paper):
    first = paper.clock.at.date()
    bought = _place(paper, "BUY", 10)           # CNC: a holding from the next day on
    _next_session(paper)
    sold = _place(paper, "SELL", 4)             # from the holding
    _next_session(paper)
    sold_out = _place(paper, "SELL", 6)         # the rest: the holding is sold out
    last = paper.clock.at.date()
    _next_session(paper)
    paper.engine.process(paper.user_id)
    rows = day_rows(paper.user_id, first, last)
    assert [row.product for row in rows] == ["CNC"] * len(rows) and rows[0].day == first and rows[-1].day == last
    assert rows[0].unrealized == pytest.approx(10 * (rows[0].close_price - bought), abs=1e-3)
    held = 10
    for before, row in zip(rows, rows[1:]):     # each later day runs from the close before it
        sale = sold if row.sell_quantity == 4 else sold_out if row.sell_quantity == 6 else None
        realized = row.sell_quantity * (sale - before.close_price) if sale is not None else 0.0
        held -= row.sell_quantity
        assert (row.quantity, row.realized) == (held, pytest.approx(realized, abs=1e-3))
        assert row.unrealized == pytest.approx(held * (row.close_price - before.close_price) if held else 0.0,
                                               abs=1e-3)
    assert held == 0 and rows[-1].sell_quantity == 6
    # the days add up to what the trades made
    assert sum(row.realized + row.unrealized for row in rows) == pytest.approx(
        4 * (sold - bought) + 6 * (sold_out - bought), abs=1e-2)
    snapshot = paper.engine.snapshot(paper.user_id)
    assert snapshot.holdings == [] and snapshot.sold_holdings == []     # the sold-out holding went at the rollover


def _far_future(paper: Paper):
    return max((row for row in paper.engine.catalog().rows if row.symbol.startswith("NIFTY") and row.kind == "future"),
               key=lambda row: row.expiry_epoch)     # the far month: it does not expire during the test


def test_an_idle_day_with_holdings_or_positions_is_recorded_at_its_own_close(paper: Paper):
    first = paper.clock.at.date()
    bought = _place(paper, "BUY", 10)                 # CNC: a holding from the next day on
    future = _far_future(paper)
    entry = _place(paper, "SELL", future.lotsize, symbol=future.symbol, product="NRML", exchange="NFO")
    paper.clock.at += timedelta(days=4)               # no call for four days: nobody traded on three of them
    paper.engine.process(paper.user_id)
    days = [first + timedelta(days=offset) for offset in range(4)]
    held = {("SBIN", "NSE"): (10, bought), (future.symbol, "NFO"): (-future.lotsize, entry)}
    closes = {key: [_close(paper, *key, day + timedelta(days=1)) for day in days] for key in held}
    # a day is listed when something was traded or a mark moved (the simulated market moves every day)
    moved = [day for n, day in enumerate(days)
             if n == 0 or any(closes[key][n] != closes[key][n - 1] for key in held)]
    rows = day_rows(paper.user_id, first, paper.clock.at.date())
    assert sorted({row.day for row in rows}) == moved and len(moved) > 1
    for key, (quantity, price) in held.items():
        marks = [price] + closes[key]
        by_day = {row.day: row for row in rows if (row.symbol, row.exchange) == key}
        for n, day in enumerate(days):           # each day from the close before it to its own
            if day in by_day:
                assert by_day[day].quantity == quantity and by_day[day].close_price == pytest.approx(closes[key][n])
                assert by_day[day].unrealized == pytest.approx(quantity * (marks[n + 1] - marks[n]), abs=1e-3)
        # the days add up to the position's P&L from its entry to the last close
        assert sum(row.unrealized for row in by_day.values()) == pytest.approx(quantity * (closes[key][-1] - price),
                                                                                abs=1e-2)


def test_days_with_nothing_held_and_nothing_traded_are_not_listed(paper: Paper):
    first = paper.clock.at.date()
    _place(paper, "BUY", 5, product="MIS")            # squared off the same day: nothing held after it
    paper.clock.at += timedelta(days=3)               # no call meanwhile: the square-off is still that day's
    paper.engine.process(paper.user_id)
    [row] = day_rows(paper.user_id, first, paper.clock.at.date())
    assert (row.day, row.buy_quantity, row.sell_quantity, row.quantity) == (first, 5, 5, 0)


def test_a_long_gap_rolls_at_most_a_history_of_days(paper: Paper):
    today = paper.clock.at.date()
    assert daybook.days_to_roll(today, today) == []
    assert daybook.days_to_roll(today - timedelta(days=3), today) == [today - timedelta(days=n) for n in (2, 1, 0)]
    long_gap = daybook.days_to_roll(today - timedelta(days=1000), today)
    assert len(long_gap) == daybook.MAX_ROLLED_DAYS and long_gap[-1] == today
