"""The alert queue's crash recovery: an alert left running by a dead process is settled from the
broker's order book — done if its tagged order exists, queued again (and run once) if not."""
from __future__ import annotations

import json
import socket

from database import strategies as store
from services import orders, strategy_alerts

DEAD = f"{socket.gethostname()}:999999:dead"   # same host, a pid that is not running


def _claim_as_dead_process(trader, hook):
    assert trader.webhook(hook, symbol="SBIN", action="BUY").status_code == 200
    with trader.app.app_context():
        (strategy_id, _), = store.pending_heads()
        alert = store.claim_next(strategy_id, DEAD)
        return alert.id, json.loads(alert.order_json)["order"]


def test_crash_after_the_order_went_out_is_not_placed_again(trader):
    _, hook = trader.strategy("LONG", "NSE:SBIN:3:MIS")
    alert_id, order = _claim_as_dead_process(trader, hook)
    with trader.app.app_context():  # the dead process got as far as the broker
        body = orders.place_order(trader.user_id, order, tag=strategy_alerts.tag_for(alert_id))
        assert body["status"] == "success"
    trader.drain()
    with trader.app.app_context():
        alert = store.get_alert(alert_id)
        assert alert.status == "done" and json.loads(alert.result_json)["orderid"] == body["orderid"]
    assert trader.position() == 3 and len(trader.orders()) == 1


def test_crash_before_the_order_went_out_runs_it_once(trader):
    _, hook = trader.strategy("LONG", "NSE:SBIN:3:MIS")
    alert_id, _ = _claim_as_dead_process(trader, hook)
    assert trader.drain() == 1
    trader.drain()
    with trader.app.app_context():
        assert store.get_alert(alert_id).status == "done"
    assert trader.position() == 3 and len(trader.orders()) == 1


def test_alerts_of_one_strategy_run_in_order_one_at_a_time(trader):
    _, hook = trader.strategy("BOTH", "NSE:SBIN:1:MIS")
    for size in ("2", "-1", "4"):
        trader.webhook(hook, symbol="SBIN", action="BUY" if int(size) >= 0 else "SELL", position_size=size)
    with trader.app.app_context():
        (strategy_id, _), = store.pending_heads()
        first = store.claim_next(strategy_id, "a")
        assert store.claim_next(strategy_id, "b") is None  # the strategy has an alert running
        strategy_alerts.execute(first, "a")
    trader.drain()
    assert trader.position() == 4
