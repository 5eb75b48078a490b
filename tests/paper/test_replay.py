"""Replaying the recorded NIFTY ticks of tests/fixtures/market (PAPER_REPLAY_FILE)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from broker.paper import prices, replay
from broker.paper.calendar import IST
from broker.paper.instruments import catalog
from services.brokers import registry
from tests.fakes.fixtures import fixture_path

TICKS = fixture_path("market", "nifty50_ticks_2022-07-01.csv")
DAY = date(2026, 11, 25)


@pytest.fixture
def replaying():
    data = replay.load(TICKS)
    replay.install(data)
    yield data
    replay.install(None)


def _at(hh: int, mm: int, ss: int) -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, hh, mm, ss, tzinfo=IST)


def test_nifty_follows_the_recorded_moves_at_the_days_level(replaying):
    nifty = catalog(DAY).lookup("NIFTY", "NSE_INDEX")
    first = prices.raw_price(nifty, _at(9, 15, 3), 0)
    # recorded: 15695.7 at 09:15:03 and 15703.25 at 09:26:35
    assert prices.raw_price(nifty, _at(9, 26, 35), 0) / first == pytest.approx(15703.25 / 15695.7)
    assert abs(first / 26_000 - 1) < 0.2                        # the level stays the simulation's
    next_day = prices.raw_price(nifty, _at(0, 0, 0) + timedelta(days=1), 0)
    late = prices.raw_price(nifty, _at(23, 59, 59), 0)
    assert late == pytest.approx(next_day, rel=0.002)            # the day still joins the next one
    future = next(r for r in catalog(DAY).rows if r.kind == "future" and r.name == "NIFTY")
    assert prices.raw_price(future, _at(9, 26, 35), 0) / prices.raw_price(future, _at(9, 15, 3), 0) == \
        pytest.approx(15703.25 / 15695.7, rel=1e-5)              # derivatives follow the index (plus carry)


def test_the_setting_turns_the_replay_on(make_app):
    app = make_app(PAPER_REPLAY_FILE=str(TICKS))
    try:
        assert registry(app).entries["paper"].available
        assert replay.REPLAY_KEY in replay.ACTIVE
    finally:
        replay.install(None)
    with pytest.raises(Exception, match="PAPER_REPLAY_FILE must be an existing file"):
        make_app(PAPER_REPLAY_FILE="no/such/file.csv")
