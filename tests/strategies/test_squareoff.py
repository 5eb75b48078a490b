"""The square-off scheduler with an injected clock: an intraday strategy's positions are closed and its
open orders cancelled at its square-off time (IST) and not before, once a day, never on a holiday; a
square-off missed while the server was down runs at start while the market is open."""
from __future__ import annotations

import logging
from datetime import datetime

import pytest

from services import strategy_squareoff
from utils.market_calendar import IST

WEDNESDAY = (2026, 11, 25)          # a trading day
HOLIDAY = (2026, 11, 24)            # Prakash Gurpurb (NSE holiday, a Tuesday)


def at(day: tuple[int, int, int], hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime(*day, hh, mm, ss, tzinfo=IST)


@pytest.fixture
def clock(trader):
    now = {"at": at(WEDNESDAY, 10, 0)}
    trader.app.config["OPENALGO_CLOCK"] = lambda: now["at"]
    return now


@pytest.fixture
def opened(trader, clock):
    """A strategy squaring off at 15:15 IST, long 10 SBIN, with a resting order of its own."""
    strategy_id, hook = trader.strategy("LONG", "NSE:SBIN:10:MIS", name="sq", start_time="09:15",
                                        end_time="15:00", squareoff_time="15:15")
    assert trader.webhook(hook, symbol="SBIN", action="BUY").status_code == 200
    trader.drain()
    ltp = float(trader.post("positionbook").get_json()["data"][0]["average_price"])
    resting = trader.post("placeorder", strategy="sq", symbol="SBIN", exchange="NSE", action="BUY", quantity="1",
                          pricetype="LIMIT", price=str(round(ltp * 0.9, 1)), product="MIS")
    assert resting.status_code == 200, resting.get_json()
    assert trader.position() == 10
    return strategy_id, resting.get_json()["orderid"]


def _run(trader, moment, **kwargs):
    with trader.app.app_context():
        queued = strategy_squareoff.run_due(trader.app, moment, **kwargs)
    trader.drain()
    return queued


def _status(trader, orderid):
    return next(o["order_status"] for o in trader.orders() if o["orderid"] == orderid)


def test_closes_at_the_configured_time_and_not_before(trader, opened):
    _, resting = opened
    assert _run(trader, at(WEDNESDAY, 15, 14, 59)) == []
    assert trader.position() == 10 and _status(trader, resting) == "open"
    assert _run(trader, at(WEDNESDAY, 15, 15)) == ["sq"]
    assert trader.position() == 0 and _status(trader, resting) == "cancelled"
    assert _run(trader, at(WEDNESDAY, 15, 20)) == []   # once a day


def test_no_square_off_on_a_market_holiday(trader, opened):
    assert _run(trader, at(HOLIDAY, 15, 15)) == []
    assert trader.position() == 10


def test_missed_square_off_runs_at_start_while_the_market_is_open(trader, opened, clock, caplog):
    clock["at"] = at(WEDNESDAY, 15, 25)          # server was down at 15:15; NSE is open until 15:30
    scheduler = strategy_squareoff.SquareoffScheduler(trader.app, clock=lambda: clock["at"])
    with caplog.at_level(logging.WARNING):
        scheduler.start()
    try:
        trader.drain()
        assert trader.position() == 0
        assert any("passed while the server was down" in r.getMessage() for r in caplog.records)
        job = scheduler.jobs()[opened[0]]
        assert "hour='15'" in str(job.trigger) and "minute='15'" in str(job.trigger)
    finally:
        scheduler.stop()


def test_missed_square_off_after_the_close_is_skipped_and_logged(trader, opened, caplog):
    with caplog.at_level(logging.WARNING):
        assert _run(trader, at(WEDNESDAY, 16, 0), missed=True) == []
    assert trader.position() == 10
    assert any("market is closed now, so it is skipped" in r.getMessage() for r in caplog.records)


def test_jobs_follow_the_database(trader, clock):
    scheduler = strategy_squareoff.SquareoffScheduler(trader.app, clock=lambda: clock["at"])
    scheduler.start()
    try:
        strategy_id, _ = trader.strategy("LONG", name="later", start_time="09:15", end_time="14:00",
                                         squareoff_time="14:30")
        assert "hour='14'" in str(scheduler.jobs()[strategy_id].trigger)
        with trader.app.app_context():
            from services import strategies
            strategies.update(trader.user_id, strategy_id, intraday=False)
        assert strategy_id not in scheduler.jobs()
    finally:
        scheduler.stop()
