"""Strategy alert retention: finished alerts older than STRATEGY_ALERT_RETENTION days are deleted in
batches (by the strategy scheduler); newer ones, and pending ones of any age, stay. SQLite and PostgreSQL."""
from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest

from database import strategies as store
from services import strategy_alerts, strategy_squareoff
from utils import clock
from utils.config import ConfigError, load_settings
from tests.conftest import TEST_SECRETS


def _receive(trader, hook, moment: datetime, count: int, *, run: bool = True) -> list[int]:
    """`count` alerts received at `moment` on the app's clock, executed unless `run` is False."""
    trader.app.config["OPENALGO_CLOCK"] = lambda: moment
    ids = []
    for _ in range(count):
        answer = trader.webhook(hook, symbol="SBIN", action="BUY")
        assert answer.status_code == 200, answer.get_json()
        ids.append(answer.get_json()["alert_id"])
    if run:
        trader.drain()
    return ids


def _kept(trader, ids: list[int]) -> list[int]:
    with trader.app.app_context():
        return [alert_id for alert_id in ids if store.get_alert(alert_id) is not None]


def test_finished_alerts_past_the_retention_are_deleted_in_batches(trader):
    _, hook = trader.strategy("LONG", "NSE:SBIN:1:CNC")
    now = clock.system_now()
    old = _receive(trader, hook, now - timedelta(days=31), 5)                  # past the default 30 days
    recent = _receive(trader, hook, now - timedelta(days=29), 2)
    waiting = _receive(trader, hook, now - timedelta(days=31), 1, run=False)   # not executed yet: stays
    latest = _receive(trader, hook, now, 1, run=False)
    with trader.app.app_context():
        assert {store.get_alert(i).status for i in old + recent} == {"done"}
        assert {store.get_alert(i).status for i in waiting + latest} == {"pending"}
        assert strategy_alerts.prune(now, batch=2) == 5                        # three batches
        assert strategy_alerts.prune(now, batch=2) == 0
    assert _kept(trader, old) == []
    assert _kept(trader, recent + waiting + latest) == recent + waiting + latest


def test_a_run_deletes_at_most_its_batches_and_the_next_run_goes_on(trader):
    _, hook = trader.strategy("LONG", "NSE:SBIN:1:CNC")
    now = clock.system_now()
    old = _receive(trader, hook, now - timedelta(days=40), 5)
    _receive(trader, hook, now, 1)
    with trader.app.app_context():
        assert strategy_alerts.prune(now, batch=2, max_batches=1) == 2
        assert _kept(trader, old) == old[2:]
        assert strategy_alerts.prune(now, batch=2, max_batches=1) == 2
        assert strategy_alerts.prune(now, batch=2, max_batches=1) == 1
    assert _kept(trader, old) == []


def test_the_newest_alert_is_kept_so_no_alert_id_or_order_tag_comes_back(trader):
    """SQLite numbers a new row after the highest id left: were every alert deleted, ids (and the order
    tags wh<id> that recovery looks for in the broker's order book) would start over."""
    _, hook = trader.strategy("LONG", "NSE:SBIN:1:CNC")
    now = clock.system_now()
    old = _receive(trader, hook, now - timedelta(days=60), 3)
    with trader.app.app_context():
        assert strategy_alerts.prune(now) == 2
    assert _kept(trader, old) == old[-1:]
    [new] = _receive(trader, hook, now, 1)
    assert new > max(old)


def test_the_scheduler_prunes_at_start(trader):
    _, hook = trader.strategy("LONG", "NSE:SBIN:1:CNC")
    now = clock.system_now()
    old = _receive(trader, hook, now - timedelta(days=31), 2)
    _receive(trader, hook, now, 1)
    scheduler = strategy_squareoff.SquareoffScheduler(trader.app, clock=lambda: now)
    scheduler.start()
    try:
        deadline = time.monotonic() + 10
        while _kept(trader, old) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _kept(trader, old) == []
        assert scheduler.scheduler.get_job("prune-strategy-alerts") is not None
    finally:
        scheduler.stop()


def test_the_retention_setting_is_a_number_of_days_from_the_one_config_reader():
    assert load_settings(TEST_SECRETS, env_file=None, environ={}).STRATEGY_ALERT_RETENTION == 30
    assert load_settings({**TEST_SECRETS, "STRATEGY_ALERT_RETENTION": "7"}, env_file=None,
                         environ={}).STRATEGY_ALERT_RETENTION == 7


@pytest.mark.parametrize("raw", ["0", "3651", "a month", "7.5"])
def test_a_bad_retention_is_refused_at_start_naming_the_setting(raw: str):
    with pytest.raises(ConfigError) as caught:
        load_settings({**TEST_SECRETS, "STRATEGY_ALERT_RETENTION": raw}, env_file=None, environ={})
    assert any(problem.startswith("STRATEGY_ALERT_RETENTION must be") and "between 1 and 3650" in problem
               for problem in caught.value.problems), caught.value.problems
