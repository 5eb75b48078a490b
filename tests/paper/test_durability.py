"""Paper state survives a restart, and concurrent orders of one user never corrupt funds."""
from __future__ import annotations

import threading

import pytest

from broker.paper.engine import EngineSettings, PaperEngine
from broker.paper.margins import position_margin
from database import db
from tests.paper.conftest import Clock, make_user
from tests.support.prices import resting_buy


def _state(engine: PaperEngine, user_id: int):
    snap = engine.snapshot(user_id)
    orders = [(o.orderid, o.status, o.quantity, o.average_price) for o in engine.orders(user_id)]
    positions = [(p.symbol, p.product, p.quantity, p.average_price) for p in snap.positions]
    funds = (snap.funds.available_cash, snap.funds.utilised_debits, snap.funds.m2m_realized)
    return orders, positions, funds


def test_a_restarted_app_sees_the_same_orders_positions_and_funds(make_app, database_url: str):
    first = make_app(DATABASE_URL=database_url, LOGS_DATABASE_URL=database_url)
    user_id = make_user(first)
    clock = Clock()
    with first.app_context():
        engine = PaperEngine(EngineSettings(), clock=clock)
        engine.place(user_id, symbol="SBIN", exchange="NSE", action="BUY", quantity=10)
        below = resting_buy(engine.quote(engine.instrument("INFY", "NSE"))["ltp"], below=0.9)
        engine.place(user_id, symbol="INFY", exchange="NSE", action="BUY", quantity=5, pricetype="LIMIT",
                     price=below, product="CNC")
        engine.place(user_id, symbol="SBIN", exchange="NSE", action="SELL", quantity=4)
        before = _state(engine, user_id)
        db.session.remove()
        for bound in db.engines.values():
            bound.dispose()
    second = make_app(DATABASE_URL=database_url, LOGS_DATABASE_URL=database_url)
    with second.app_context():
        after = _state(PaperEngine(EngineSettings(), clock=clock), user_id)
    assert after == before
    assert [status for _, status, _, _ in after[0]] == ["complete", "open", "complete"]


def test_concurrent_orders_of_one_user_keep_funds_consistent(db_app):
    user_id = make_user(db_app)
    clock = Clock()
    engine = PaperEngine(EngineSettings(capital=1_000_000), clock=clock)
    errors: list[BaseException] = []

    def trade(count: int) -> None:
        with db_app.app_context():
            try:
                for _ in range(count):
                    engine.place(user_id, symbol="SBIN", exchange="NSE", action="BUY", quantity=1, product="MIS")
            except BaseException as exc:  # surfaced by the assertion below
                errors.append(exc)

    threads = [threading.Thread(target=trade, args=(5,)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with db_app.app_context():
        snap = engine.snapshot(user_id)
        [position] = snap.positions
        trades = engine.trades(user_id)
        assert position.quantity == 30 == sum(t.quantity for t in trades)
        cost = sum(t.quantity * t.price for t in trades)
        assert position.average_price == pytest.approx(cost / 30, abs=0.01)
        sbin = engine.instrument("SBIN", "NSE")
        expected = position_margin(sbin, "MIS", 30, cost / 30)
        assert snap.funds.utilised_debits == pytest.approx(expected, abs=0.05)
        assert snap.funds.available_cash == pytest.approx(1_000_000 - expected, abs=0.05)


KILLED_TRADER = """
import os, sys
from app import create_app
from broker.paper.engine import PaperEngine
from tests.conftest import TEST_SECRETS
url, user_id = sys.argv[1], int(sys.argv[2])
app = create_app({**TEST_SECRETS, "ENV_FILE": None, "DATABASE_URL": url, "LOGS_DATABASE_URL": url})
with app.app_context():
    order = PaperEngine().place(user_id, symbol="SBIN", exchange="NSE", action="BUY", quantity=7)
    print(order.orderid, order.average_price, flush=True)
    os.kill(os.getpid(), 9)   # killed right after the acknowledgement
"""


def test_an_acknowledged_order_survives_the_process_being_killed(make_app, database_url: str):
    import subprocess
    import sys

    from utils.config import PROJECT_ROOT

    app = make_app(DATABASE_URL=database_url, LOGS_DATABASE_URL=database_url)
    user_id = make_user(app)
    run = subprocess.run([sys.executable, "-c", KILLED_TRADER, database_url, str(user_id)], cwd=PROJECT_ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == -9, run.stderr
    orderid, price = run.stdout.split()
    with app.app_context():
        engine = PaperEngine()
        [order] = [o for o in engine.orders(user_id) if o.orderid == orderid]
        assert (order.status, order.quantity, order.average_price) == ("complete", 7, float(price))
        [position] = engine.snapshot(user_id).positions
        assert (position.symbol, position.quantity) == ("SBIN", 7)
