"""Orders through the fake Upstox: the requests Upstox expects, and its answers → unified objects."""
from __future__ import annotations

from datetime import datetime

import pytest

from broker.contract import ModifyRequest, OrderRequest
from broker.errors import InvalidOrder, OrderNotFound, UnknownSymbol
from broker.upstox.mapping import IST
from tests.brokers.upstox.conftest import NIFTY_CE, SBIN
from tests.fakes.upstox.feed import base_price


def test_market_order_goes_to_v3_place_with_the_documented_body(upstox, plugin, session):
    ack = plugin.orders.place_order(session, OrderRequest(instrument=SBIN, action="BUY", quantity=10,
                                                          product="MIS", pricetype="MARKET", tag="strat1"))
    [sent] = upstox.requests_to("/v3/order/place", "POST")
    assert sent.json == {"quantity": 10, "product": "I", "validity": "DAY", "tag": "strat1",
                         "instrument_token": "NSE_EQ|INE062A01020", "order_type": "MARKET", "transaction_type": "BUY",
                         "disclosed_quantity": 0, "is_amo": False, "slice": True, "price": 0.0, "trigger_price": 0.0}
    assert sent.headers["Authorization"] == f"Bearer {upstox.access_token}"
    status = plugin.orders.order_status(session, ack.order_id)
    assert (status.status, status.filled_quantity, status.average_price) == ("complete", 10, base_price(SBIN.token))
    assert (status.symbol, status.exchange, status.product) == ("SBIN", "NSE", "MIS")
    assert status.price == 0.0 and status.timestamp.count(":") == 2


def test_outside_market_hours_the_order_is_an_amo(upstox, plugin, session):
    plugin.orders.clock = lambda: datetime(2025, 12, 30, 19, 0, tzinfo=IST)
    ack = plugin.orders.place_order(session, OrderRequest(instrument=SBIN, action="BUY", quantity=1,
                                                          product="CNC", pricetype="LIMIT", price=500))
    assert upstox.requests_to("/v3/order/place")[0].json["is_amo"] is True and "AMO" in ack.message
    assert plugin.orders.order_status(session, ack.order_id).status == "open"
    plugin.orders.cancel_order(session, ack.order_id)
    assert plugin.orders.order_status(session, ack.order_id).status == "cancelled"


def test_a_quantity_above_the_freeze_limit_is_sliced_by_upstox(upstox, plugin, session):
    ack = plugin.orders.place_order(session, OrderRequest(instrument=NIFTY_CE, action="BUY", quantity=4000,
                                                          product="NRML", pricetype="MARKET"))
    ids = [o for o in upstox.orders if o.startswith("2501")]       # the ones placed here
    assert len(ids) == 3 and ack.order_id == ids[0] and "sliced by Upstox into 3 orders" in ack.message
    assert [upstox.orders[i]["quantity"] for i in ids] == [1800, 1800, 400]
    assert plugin.orders.order_status(session, ids[1]).product == "NRML"     # D on a derivative


def test_limit_order_place_modify_cancel_flow(upstox, plugin, session):
    ack = plugin.orders.place_order(session, OrderRequest(instrument=SBIN, action="SELL", quantity=5,
                                                          product="CNC", pricetype="LIMIT", price=812.5))
    book = {o.order_id: o for o in plugin.orders.order_book(session)}
    assert book[ack.order_id].status == "open" and book[ack.order_id].price == 812.5
    plugin.orders.modify_order(session, ModifyRequest(order_id=ack.order_id, instrument=SBIN, action="SELL",
                                                      quantity=7, product="CNC", pricetype="LIMIT", price=815))
    [modify] = upstox.requests_to("/v3/order/modify", "PUT")
    assert modify.json == {"order_id": ack.order_id, "order_type": "LIMIT", "quantity": 7, "validity": "DAY",
                           "disclosed_quantity": 0, "price": 815.0, "trigger_price": 0.0}
    assert plugin.orders.order_status(session, ack.order_id).quantity == 7
    plugin.orders.cancel_order(session, ack.order_id)
    assert upstox.requests_to("/v3/order/cancel", "DELETE")[0].args == {"order_id": [ack.order_id]}
    assert plugin.orders.order_status(session, ack.order_id).status == "cancelled"
    with pytest.raises(OrderNotFound):
        plugin.orders.cancel_order(session, ack.order_id)


def test_sl_m_is_trigger_pending_and_cancel_all_cancels_only_working_orders(upstox, plugin, session):
    stop = plugin.orders.place_order(session, OrderRequest(instrument=SBIN, action="SELL", quantity=1,
                                                           product="MIS", pricetype="SL-M", trigger_price=790))
    filled = plugin.orders.place_order(session, OrderRequest(instrument=SBIN, action="BUY", quantity=1))
    assert plugin.orders.order_status(session, stop.order_id).status == "trigger pending"
    cancelled = {ack.order_id for ack in plugin.orders.cancel_all_orders(session)}
    assert stop.order_id in cancelled and filled.order_id not in cancelled
    assert "231019025100001" in cancelled                 # the sample book's open order too


def test_rejections_name_the_field(plugin, session):
    with pytest.raises(InvalidOrder):
        plugin.orders.place_order(session, OrderRequest(instrument=SBIN, action="BUY", quantity=1,
                                                        pricetype="SL", price=10, trigger_price=0))
    with pytest.raises(UnknownSymbol):
        plugin.orders.place_order(session, OrderRequest(
            instrument=SBIN.__class__(**{**{f: getattr(SBIN, f) for f in ("symbol", "brsymbol", "name", "exchange",
                                                                              "brexchange")}, "token": "NSE_EQ|NOPE"}),
            action="BUY", quantity=1))
    with pytest.raises(OrderNotFound):
        plugin.orders.order_status(session, "999999")


def test_sample_books_map_to_unified_rows(plugin, session):
    book = {o.order_id: o for o in plugin.orders.order_book(session)}
    rejected = book["231019025094447"]
    assert (rejected.status, rejected.exchange, rejected.product, rejected.pricetype) == ("rejected", "NFO", "MIS",
                                                                                          "SL-M")
    assert rejected.rejection_reason.startswith("You need to add Rs.") and rejected.trigger_price == 570
    assert book["231019025057849"].exchange == "BSE" and book["231019025057849"].timestamp == "19-Oct-2023 09:23:23"
    [trade] = plugin.orders.trade_book(session)
    assert (trade.symbol, trade.exchange, trade.average_price, trade.timestamp) == ("GMRINFRA", "NSE", 45.05,
                                                                                   "20-Oct-2023 11:10:23")
    positions = {p.symbol: p for p in plugin.orders.positions(session)}
    assert positions["NIFTY2412621500CE"].product == "NRML" and positions["NIFTY2412621500CE"].quantity == 50
    assert positions["NIFTY2412621500CE"].unrealized_pnl == -12.5
    [holding] = plugin.orders.holdings(session)
    assert (holding.symbol, holding.quantity, holding.average_price) == ("YESBANK", 40, 18.75)   # 36 + 4 in T1


def test_open_position_and_close_all(upstox, plugin, session):
    upstox.live_positions = True
    plugin.orders.place_order(session, OrderRequest(instrument=SBIN, action="BUY", quantity=3, product="MIS"))
    assert plugin.orders.open_position(session, "SBIN", "NSE", "MIS") == 3
    acks = plugin.orders.close_all_positions(session, lambda symbol, exchange: SBIN)
    assert len(acks) == 1 and plugin.orders.open_position(session, "SBIN", "NSE", "MIS") == 0
