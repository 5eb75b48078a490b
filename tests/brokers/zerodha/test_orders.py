"""Orders through the fake Kite server: the requests Kite expects, and recorded answers → unified objects."""
from __future__ import annotations

from datetime import datetime

import pytest

from broker.contract import ModifyRequest, OrderRequest
from broker.errors import InvalidOrder, OrderNotFound, OrderRejected
from broker.zerodha.mapping import IST
from tests.brokers.zerodha.conftest import SBIN


def test_market_order_goes_to_the_regular_variety_with_protection_and_headers(kite, plugin, session):
    ack = plugin.orders.place_order(session, OrderRequest(instrument=SBIN, action="BUY", quantity=10,
                                                          product="MIS", pricetype="MARKET", tag="strat1"))
    [sent] = kite.requests_to("/orders/", "POST")
    assert sent.path == "/orders/regular"
    assert sent.form == {"exchange": "NSE", "tradingsymbol": "SBIN", "transaction_type": "BUY", "quantity": "10",
                         "product": "MIS", "order_type": "MARKET", "validity": "DAY", "market_protection": "-1",
                         "tag": "strat1"}
    assert sent.headers["X-Kite-Version"] == "3"
    assert sent.headers["Authorization"] == f"token {kite.api_key}:{kite.access_token}"
    status = plugin.orders.order_status(session, ack.order_id)
    assert (status.status, status.filled_quantity, status.average_price) == ("complete", 10, kite.ltp)
    assert status.price == 0.0 and status.timestamp.count(":") == 2


def test_outside_market_hours_the_order_is_an_amo(kite, plugin, session):
    plugin.orders.clock = lambda: datetime(2025, 12, 30, 19, 0, tzinfo=IST)
    ack = plugin.orders.place_order(session, OrderRequest(instrument=SBIN, action="BUY", quantity=1,
                                                          product="CNC", pricetype="LIMIT", price=500))
    assert kite.requests_to("/orders/", "POST")[0].path == "/orders/amo"
    assert "AMO" in ack.message
    plugin.orders.cancel_order(session, ack.order_id)
    assert kite.requests_to("/orders/amo/", "DELETE")
    assert plugin.orders.order_status(session, ack.order_id).status == "cancelled"


def test_limit_order_place_modify_cancel_flow(kite, plugin, session):
    ack = plugin.orders.place_order(session, OrderRequest(instrument=SBIN, action="SELL", quantity=5,
                                                          product="CNC", pricetype="LIMIT", price=812.5))
    book = {o.order_id: o for o in plugin.orders.order_book(session)}
    assert book[ack.order_id].status == "open" and book[ack.order_id].price == 812.5
    plugin.orders.modify_order(session, ModifyRequest(order_id=ack.order_id, instrument=SBIN, action="SELL",
                                                      quantity=7, product="CNC", pricetype="LIMIT", price=815))
    [modify] = kite.requests_to("/orders/regular/", "PUT")
    assert modify.form == {"order_type": "LIMIT", "quantity": "7", "validity": "DAY", "price": "815"}
    assert plugin.orders.order_status(session, ack.order_id).quantity == 7
    plugin.orders.cancel_order(session, ack.order_id)
    assert plugin.orders.order_status(session, ack.order_id).status == "cancelled"
    with pytest.raises(OrderRejected, match="cancelled"):
        plugin.orders.cancel_order(session, ack.order_id)


def test_sl_m_is_trigger_pending_and_cancel_all_cancels_only_working_orders(kite, plugin, session):
    stop = plugin.orders.place_order(session, OrderRequest(instrument=SBIN, action="SELL", quantity=1,
                                                           product="MIS", pricetype="SL-M", trigger_price=790))
    assert kite.requests_to("/orders/", "POST")[0].form["market_protection"] == "-1"
    assert plugin.orders.order_status(session, stop.order_id).status == "trigger pending"
    plugin.orders.place_order(session, OrderRequest(instrument=SBIN, action="BUY", quantity=1, product="MIS",
                                                    pricetype="MARKET"))
    before = len(kite.requests)
    cancelled = plugin.orders.cancel_all_orders(session)
    assert [a.order_id for a in cancelled] == [stop.order_id]
    assert [(r.method, r.path) for r in kite.requests[before:]] == [("GET", "/orders"),
                                                                    ("DELETE", f"/orders/regular/{stop.order_id}")]


def test_unknown_order_and_bad_input_are_unified_errors(plugin, session):
    with pytest.raises(OrderNotFound):
        plugin.orders.order_status(session, "999")
    with pytest.raises(InvalidOrder, match="price"):
        plugin.orders.place_order(session, OrderRequest(instrument=SBIN, action="BUY", quantity=1,
                                                        product="MIS", pricetype="LIMIT", price=0))


def test_recorded_order_book_maps_statuses_products_and_times(plugin, session):
    orders = {o.order_id: o for o in plugin.orders.order_book(session)}
    cancelled = orders["100000000000000"]
    assert (cancelled.symbol, cancelled.exchange, cancelled.status, cancelled.product, cancelled.pricetype) == (
        "USDINR21JUNFUT", "CDS", "cancelled", "NRML", "LIMIT")
    assert cancelled.timestamp == "31-May-2021 09:18:57" and cancelled.raw["guid"] == "XXXXX"
    option = orders["1953367517686685697"]
    assert (option.status, option.filled_quantity, option.average_price, option.price) == ("complete", 150, 12.3, 0.0)
    rejected = orders["220524001859672"]
    assert rejected.status == "rejected" and rejected.rejection_reason


def test_recorded_history_last_entry_is_the_status(plugin, session):
    status = plugin.orders.order_status(session, "171229000724687")
    assert status.status == "open" and status.raw["status"] == "OPEN" and status.price == 300.1  # modified


def test_trades_positions_holdings_from_recorded_payloads(plugin, session):
    trade = plugin.orders.trade_book(session)[0]
    assert (trade.symbol, trade.action, trade.quantity, trade.average_price, trade.timestamp) == (
        "SBIN", "BUY", 1, 420.65, "31-May-2021 09:16:39")
    positions = plugin.orders.positions(session)
    lead = positions[0]
    assert (lead.symbol, lead.exchange, lead.product, lead.quantity, lead.average_price) == (
        "LEADMINI17DECFUT", "MCX", "NRML", 1, 161.05)
    assert plugin.orders.open_position(session, "LEADMINI17DECFUT", "MCX", "NRML") == 1
    assert plugin.orders.open_position(session, "LEADMINI17DECFUT", "MCX", "MIS") == 0
    holding = plugin.orders.holdings(session)[0]
    assert (holding.symbol, holding.quantity, holding.average_price, holding.ltp, holding.pnl) == (
        "AARON", 1, 161.0, 352.95, 191.95)
