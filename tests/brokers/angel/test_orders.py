"""Orders through the fake SmartAPI: request bodies, varieties (NORMAL / STOPLOSS / AMO), the order state,
and response mapping of the recorded books."""
from __future__ import annotations

import pytest

from broker.contract import ModifyRequest, OrderRequest
from broker.errors import InvalidOrder, OrderNotFound, OrderRejected, UnknownSymbol
from tests.brokers.angel.conftest import AFTER_CLOSE, NIFTY_FUT, SBIN
from tests.fakes.angel.data import base_price, fixture

PLACE = "/rest/secure/angelbroking/order/v1/placeOrder"


def _far_limit(**overrides) -> OrderRequest:
    fields = dict(instrument=SBIN, action="BUY", quantity=1, product="MIS", pricetype="LIMIT",
                  price=round(base_price("3045") * 0.8, 1))
    fields.update(overrides)
    return OrderRequest(**fields)


def test_place_sends_the_documented_body_and_rests_open(plugin, angel, session):
    ack = plugin.orders.place_order(session, _far_limit(tag="strat-1"))
    sent = angel.requests_to(PLACE)[-1].json
    assert sent == {"variety": "NORMAL", "tradingsymbol": "SBIN-EQ", "symboltoken": "3045", "transactiontype": "BUY",
                    "exchange": "NSE", "ordertype": "LIMIT", "producttype": "INTRADAY", "duration": "DAY",
                    "price": sent["price"], "triggerprice": "0", "squareoff": "0", "stoploss": "0", "quantity": "1",
                    "ordertag": "strat-1"}
    assert float(sent["price"]) == round(base_price("3045") * 0.8, 1)
    order = plugin.orders.order_status(session, ack.order_id)
    assert (order.status, order.symbol, order.exchange, order.product, order.pricetype) == ("open", "SBIN", "NSE", "MIS", "LIMIT")
    assert angel.requests_to("/rest/secure/angelbroking/order/v1/details/")        # by unique order id


def test_modify_then_cancel_a_resting_order(plugin, angel, session):
    ack = plugin.orders.place_order(session, _far_limit())
    new_price = round(base_price("3045") * 0.7, 1)
    plugin.orders.modify_order(session, ModifyRequest(order_id=ack.order_id, instrument=SBIN, action="BUY", quantity=3,
                                                      product="MIS", pricetype="LIMIT", price=new_price))
    order = plugin.orders.order_status(session, ack.order_id)
    assert (order.quantity, order.price, order.status) == (3, new_price, "open")
    plugin.orders.cancel_order(session, ack.order_id)
    assert plugin.orders.order_status(session, ack.order_id).status == "cancelled"
    with pytest.raises(OrderRejected, match="cannot be changed"):
        plugin.orders.cancel_order(session, ack.order_id)


def test_a_market_order_fills_and_shows_in_trades_and_positions(plugin, angel, session):
    ack = plugin.orders.place_order(session, OrderRequest(instrument=SBIN, action="BUY", quantity=4, pricetype="MARKET"))
    order = plugin.orders.order_status(session, ack.order_id)
    assert (order.status, order.filled_quantity, order.average_price, order.price) == ("complete", 4, base_price("3045"), 0.0)
    trade = next(t for t in plugin.orders.trade_book(session) if t.order_id == ack.order_id)
    assert (trade.quantity, trade.average_price, trade.symbol, trade.product) == (4, base_price("3045"), "SBIN", "MIS")
    assert plugin.orders.open_position(session, "SBIN", "NSE", "MIS") == 4 + 1      # the recorded fill too


def test_stoploss_orders_use_the_stoploss_variety(plugin, angel, session):
    trigger = round(base_price("3045") * 1.1, 1)
    ack = plugin.orders.place_order(session, _far_limit(pricetype="SL-M", price=0, trigger_price=trigger))
    sent = angel.requests_to(PLACE)[-1].json
    assert (sent["variety"], sent["ordertype"], float(sent["triggerprice"]), sent["price"]) == \
        ("STOPLOSS", "STOPLOSS_MARKET", trigger, "0")
    assert plugin.orders.order_status(session, ack.order_id).status == "trigger pending"
    plugin.orders.cancel_order(session, ack.order_id)          # cancel repeats the STOPLOSS variety
    assert angel.requests_to("/rest/secure/angelbroking/order/v1/cancelOrder")[-1].json["variety"] == "STOPLOSS"


def test_outside_market_hours_orders_go_in_as_amo(plugin, angel, session):
    plugin.orders.clock = lambda: AFTER_CLOSE
    ack = plugin.orders.place_order(session, _far_limit())
    assert angel.requests_to(PLACE)[-1].json["variety"] == "AMO" and "AMO" in ack.message
    assert plugin.orders.order_status(session, ack.order_id).status == "open"


def test_cancel_all_cancels_only_working_orders(plugin, angel, session):
    placed = [plugin.orders.place_order(session, _far_limit()).order_id for _ in range(2)]
    acks = plugin.orders.cancel_all_orders(session)
    cancelled = {a.order_id for a in acks}
    assert set(placed) <= cancelled and "201020000000083" in cancelled        # the recorded trigger-pending one
    assert "201020000000081" not in cancelled                                # complete stays
    assert {o.status for o in plugin.orders.order_book(session) if o.order_id in cancelled} == {"cancelled"}


def test_refusals_map_to_unified_errors(plugin, angel, session):
    wrong_token = SBIN.__class__(**{**{f: getattr(SBIN, f) for f in SBIN.__dataclass_fields__ if f != "raw"}, "token": "1594"})
    with pytest.raises(UnknownSymbol):
        plugin.orders.place_order(session, _far_limit(instrument=wrong_token))
    with pytest.raises(InvalidOrder, match="lot size"):
        plugin.orders.place_order(session, OrderRequest(instrument=NIFTY_FUT, action="BUY", quantity=10, product="NRML"))
    with pytest.raises(OrderNotFound):
        plugin.orders.order_status(session, "999999999")
    with pytest.raises(OrderNotFound):
        plugin.orders.cancel_order(session, "999999999")
    with pytest.raises(InvalidOrder):
        plugin.orders.client.call("POST", "/rest/secure/angelbroking/order/v1/placeOrder", session, bucket="orders",
                                  body={"variety": "BRACKET", "exchange": "NSE", "tradingsymbol": "SBIN-EQ",
                                        "symboltoken": "3045"})


def test_recorded_order_book_maps_every_field(plugin):
    orders = {o.order_id: o for o in map(plugin.orders.order, fixture("order_book.json")["data"])}
    cancelled, filled = orders["201020000000080"], orders["201020000000081"]
    assert (cancelled.status, cancelled.price, cancelled.timestamp, cancelled.symbol) == \
        ("cancelled", 194.0, "20-Oct-2020 13:10:59", "SBIN")
    assert (filled.status, filled.pricetype, filled.average_price, filled.filled_quantity) == ("complete", "MARKET", 194.35, 1)
    rejected = orders["201020000000082"]
    assert (rejected.status, rejected.rejection_reason, rejected.product, rejected.exchange, rejected.quantity) == \
        ("rejected", "Adapter is Logged Off", "NRML", "NFO", 25)
    trigger = orders["201020000000083"]
    assert (trigger.status, trigger.pricetype, trigger.trigger_price, trigger.product, trigger.action) == \
        ("trigger pending", "SL", 191.0, "CNC", "SELL")
    assert trigger.raw["variety"] == "STOPLOSS"


def test_recorded_positions_holdings_and_trades(plugin):
    sbin, nifty = map(plugin.orders.position, fixture("positions.json")["data"])
    assert (sbin.quantity, sbin.average_price, sbin.ltp, sbin.pnl, sbin.product) == (1, 194.35, 195.10, 0.75, "MIS")
    assert (nifty.quantity, nifty.product, nifty.symbol) == (-25, "NRML", "NIFTY26DEC24FUT")
    steel, parag = map(plugin.orders.holding, fixture("holdings.json")["data"])
    assert (steel.symbol, steel.quantity, steel.average_price, steel.pnl, steel.product) == ("TATASTEEL", 2, 111.87, 37.0, "CNC")
    assert parag.quantity == 1                         # T1 shares count
    [trade] = map(plugin.orders.trade, fixture("trade_book.json")["data"])
    assert (trade.quantity, trade.average_price, trade.trade_id, trade.action) == (1, 194.35, "50005750", "BUY")


def test_an_empty_book_is_an_empty_list(plugin, angel, session):
    angel.orders.clear()
    angel.fills.clear()
    assert plugin.orders.order_book(session) == [] and plugin.orders.trade_book(session) == []
    assert plugin.orders.positions(session) == []


def test_known_orders_are_looked_up_by_unique_id_not_the_book(plugin, angel, session):
    ack = plugin.orders.place_order(session, _far_limit())
    books = len(angel.requests_to("/rest/secure/angelbroking/order/v1/getOrderBook"))
    plugin.orders.modify_order(session, ModifyRequest(order_id=ack.order_id, instrument=SBIN, action="BUY", quantity=2,
                                                      product="MIS", pricetype="LIMIT", price=_far_limit().price))
    plugin.orders.cancel_order(session, ack.order_id)
    assert plugin.orders.order_status(session, ack.order_id).status == "cancelled"
    assert len(angel.requests_to("/rest/secure/angelbroking/order/v1/getOrderBook")) == books     # Angel: 1 call/s
    assert len(angel.requests_to("/rest/secure/angelbroking/order/v1/details/")) == 3
