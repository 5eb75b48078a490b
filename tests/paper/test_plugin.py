"""The paper plugin as the app sees it: discovery, adapters, background matcher, the reset command."""
from __future__ import annotations

import time
from datetime import date, timedelta

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.contract import BrokerSession, OrderRequest
from broker.errors import InvalidOrder
from broker.paper import prices
from broker.paper.adapters import to_instrument
from broker.paper.matcher import BackgroundMatcher
from broker.paper.universe import index_spec
from database import db
from database import paper as store
from database.paper import PaperOrder
from database.paper_pnl import day_totals, record_day
from services.brokers import registry
from tests.paper.conftest import Paper, make_user
from utils import clock
from utils.market_calendar import now_ist

pytestmark = pytest.mark.dates  # the day and time matter: ./test.sh reruns it under shifted clocks


def test_plugin_is_discovered_with_its_capabilities(app):
    entry = registry(app).entries["paper"]
    assert entry.available and entry.allowed and entry.configured
    info = entry.describe()
    assert info["auth_type"] == "none" and "place_order" in info["capabilities"]["operations"]
    assert "simulated" in info["display_name"]


def test_orders_through_the_adapters(db_app):
    user_id = make_user(db_app)
    plugin = registry(db_app).get("paper")
    session = BrokerSession(user_id=user_id, broker="paper", auth_token="paper")
    with db_app.app_context():
        sbin = to_instrument(plugin.orders.engine.instrument("SBIN", "NSE"))
        ack = plugin.orders.place_order(session, OrderRequest(instrument=sbin, action="BUY", quantity=10))
        order = plugin.orders.order_status(session, ack.order_id)
        assert order.status == "complete" and order.timestamp.count(":") == 2
        future = max((i for i in plugin.master_contract.download(session, lambda m: None)
                      if i.instrumenttype == "FUTIDX" and i.name == "NIFTY"), key=lambda i: i.expiry)
        with pytest.raises(InvalidOrder, match=f"lot size {index_spec('NIFTY').lotsize}") as raised:
            plugin.orders.place_order(session, OrderRequest(instrument=future, action="BUY", quantity=7,
                                                            product="NRML"))
        assert raised.value.http_status == 400
        funds = plugin.funds.funds(session)
        [position] = plugin.orders.positions(session)
        assert funds.utilised_debits == pytest.approx(position.raw["margin_blocked"], abs=0.01)


def test_background_matcher_fills_without_any_call_and_tells_the_app(paper: Paper):
    engine, user = paper.engine, paper.user_id
    sbin = engine.instrument("SBIN", "NSE")
    now = paper.clock()
    epochs, path = prices.price_range(sbin, now, now + timedelta(hours=6), 0)
    first = int(np.argmax(path < engine.quote(sbin)["bid"] - 5 * sbin.tick_size))
    order = engine.place(user, symbol="SBIN", exchange="NSE", action="BUY", quantity=1, pricetype="LIMIT",
                         price=float(path[first]))
    told: list[int] = []
    matcher = BackgroundMatcher(engine, interval=0.05, on_change=told.append)
    matcher.ensure_started()
    try:
        time.sleep(0.3)
        assert told == []   # checked, nothing filled yet: nothing to tell
        paper.clock.advance(hours=6)
        deadline = time.monotonic() + 10
        status = "open"
        while status == "open" and time.monotonic() < deadline:
            time.sleep(0.05)
            with Session(db.engine) as session:
                status = session.scalar(select(PaperOrder.status).where(PaperOrder.orderid == order.orderid))
        assert status == "complete"
        deadline = time.monotonic() + 5
        while matcher.running and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not matcher.running   # nothing rests any more: the thread ends until the next order
        assert told == [user]       # the fill was reported once (open pages refresh their books)
    finally:
        matcher.stop()


_RECORDED = {"symbol": "SBIN", "exchange": "NSE", "product": "CNC", "quantity": 10, "average_price": 1.0,
             "close_price": 2.0, "buy_quantity": 10, "buy_average": 1.0, "sell_quantity": 0, "sell_average": 0.0,
             "realized": 0.0, "unrealized": 10.0, "charges": 0.0}


def test_reset_command(db_app):
    user_id = make_user(db_app, "resetme")
    plugin = registry(db_app).get("paper")
    with db_app.app_context():
        plugin.orders.engine.place(user_id, symbol="SBIN", exchange="NSE", action="BUY", quantity=10)
        with store.locked_account(user_id) as locked:   # a day of history, as a rollover records it
            record_day(locked.tx, user_id, now_ist().date() - timedelta(days=1), [_RECORDED], clock.now())
        assert len(day_totals(user_id, date.min, date.max)) == 1
    refused = db_app.test_cli_runner().invoke(args=["paper", "reset", "--username", "resetme"], input="n\n")
    assert "P&L history" in refused.output
    with db_app.app_context():
        assert len(plugin.orders.engine.orders(user_id)) == 1 and len(day_totals(user_id, date.min, date.max)) == 1
    result = db_app.test_cli_runner().invoke(args=["paper", "reset", "--username", "resetme", "--yes"])
    assert result.exit_code == 0, result.output
    assert "available 10,000,000.00 INR" in result.output
    with db_app.app_context():
        assert plugin.orders.engine.orders(user_id) == []
        assert day_totals(user_id, date.min, date.max) == []      # the P&L history went with the account
    chosen = db_app.test_cli_runner().invoke(args=["paper", "reset", "--username", "resetme", "--capital",
                                                   "2,50,000", "--yes"])
    assert chosen.exit_code == 0 and "available 250,000.00 INR of capital 250,000.00" in chosen.output
    bad = db_app.test_cli_runner().invoke(args=["paper", "reset", "--username", "resetme", "--capital", "5",
                                                "--yes"])
    assert bad.exit_code != 0 and "capital must be between 1,000 and" in bad.output
    missing = db_app.test_cli_runner().invoke(args=["paper", "reset", "--username", "nobody", "--yes"])
    assert missing.exit_code != 0 and "No user named 'nobody'" in missing.output
