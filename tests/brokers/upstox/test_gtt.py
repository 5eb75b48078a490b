"""Single-trigger GTTs through the fake Upstox: place, modify, cancel, the book, a triggered GTT's order,
and the requests Upstox cannot express refused with a 400 before it is asked."""
from __future__ import annotations

import pytest

from broker.contract import GttLeg, GttRequest
from broker.errors import InvalidOrder, OrderNotFound, OrderRejected
from tests.brokers.upstox.conftest import SBIN
from tests.fakes.upstox.feed import base_price

LTP = base_price(SBIN.token)


def _request(**overrides) -> GttRequest:
    trigger = round(LTP * 0.9, 1)
    fields = dict(instrument=SBIN, trigger_type="SINGLE", action="BUY", quantity=10, product="CNC",
                  legs=(GttLeg(trigger_price=trigger, price=trigger),), last_price=LTP)
    fields.update(overrides)
    return GttRequest(**fields)


def test_place_modify_cancel_and_the_book(upstox, plugin, session):
    ack = plugin.gtt.place_gtt(session, _request())
    sent = upstox.requests_to("/v3/order/gtt/place")[-1].json
    assert sent == {"type": "SINGLE", "quantity": 10, "product": "D", "instrument_token": SBIN.token,
                    "transaction_type": "BUY",
                    "rules": [{"strategy": "ENTRY", "trigger_type": "BELOW", "trigger_price": round(LTP * 0.9, 1)}]}
    [gtt] = [g for g in plugin.gtt.gtt_book(session) if g.trigger_id == ack.trigger_id]
    assert (gtt.status, gtt.symbol, gtt.exchange, gtt.quantity, gtt.product, gtt.trigger_type, gtt.action) == \
        ("active", "SBIN", "NSE", 10, "CNC", "SINGLE", "BUY")
    assert gtt.expires_at and gtt.created_at and (gtt.expires_at - gtt.created_at).days == 365

    higher = round(LTP * 1.1, 1)
    plugin.gtt.modify_gtt(session, ack.trigger_id, _request(quantity=5, legs=(GttLeg(trigger_price=higher, price=0),)))
    assert upstox.requests_to("/v3/order/gtt/modify")[-1].json["rules"][0]["trigger_type"] == "ABOVE"
    [gtt] = [g for g in plugin.gtt.gtt_book(session) if g.trigger_id == ack.trigger_id]
    assert (gtt.quantity, gtt.legs[0].trigger_price) == (5, higher)

    plugin.gtt.cancel_gtt(session, ack.trigger_id)
    assert upstox.requests_to("/v3/order/gtt/cancel")[-1].json == {"gtt_order_id": ack.trigger_id}
    assert [g.status for g in plugin.gtt.gtt_book(session) if g.trigger_id == ack.trigger_id] == ["cancelled"]
    with pytest.raises(OrderRejected):                  # a cancelled GTT cannot be cancelled again
        plugin.gtt.cancel_gtt(session, ack.trigger_id)


def test_a_triggered_gtt_names_its_order(upstox, plugin, session):
    ack = plugin.gtt.place_gtt(session, _request(action="SELL", product="MIS"))
    order_id = upstox.trigger_gtt(ack.trigger_id)
    [gtt] = [g for g in plugin.gtt.gtt_book(session) if g.trigger_id == ack.trigger_id]
    assert (gtt.status, gtt.legs[0].order_id, gtt.product) == ("triggered", order_id, "MIS")
    order = plugin.orders.order_status(session, order_id)
    assert (order.pricetype, order.price, order.action) == ("LIMIT", round(LTP * 0.9, 1), "SELL")


def test_unknown_gtt_is_order_not_found(plugin, session):
    with pytest.raises(OrderNotFound):
        plugin.gtt.cancel_gtt(session, "GTT-C999")
    with pytest.raises(OrderNotFound):
        plugin.gtt.modify_gtt(session, "GTT-C999", _request())


@pytest.mark.parametrize("overrides, reason", [
    (dict(trigger_type="OCO", legs=(GttLeg(trigger_price=1, role="stoploss"), GttLeg(trigger_price=9, role="target"))),
     "single trigger"),
    (dict(legs=(GttLeg(trigger_price=100, price=101),)), "at the trigger price")])
def test_what_upstox_cannot_express_is_refused_before_asking(upstox, plugin, session, overrides, reason):
    with pytest.raises(InvalidOrder, match=reason):
        plugin.gtt.place_gtt(session, _request(**overrides))
    assert not upstox.requests_to("/v3/order/gtt/place")
