"""Dhan's forever orders as the contract's GTT."""
from __future__ import annotations

import pytest

from broker.contract import GttLeg, GttRequest
from broker.errors import OrderNotFound


def _single(instrument, trigger, price):
    return GttRequest(instrument=instrument, trigger_type="SINGLE", action="BUY", quantity=10, product="CNC",
                      legs=(GttLeg(trigger_price=trigger, price=price),), last_price=trigger + 20)


def test_single_place_modify_book_cancel(plugin, session, dhan, instruments):
    hdfc = instruments[("NSE", "HDFCBANK")]
    ack = plugin.gtt.place_gtt(session, _single(hdfc, 1401.0, 1400.0))
    sent = dhan.requests_to("/v2/forever/orders", "POST")[-1].json
    assert (sent["orderFlag"], sent["securityId"], sent["exchangeSegment"], sent["triggerPrice"], sent["price"],
            sent["productType"]) == ("SINGLE", "1333", "NSE_EQ", 1401.0, 1400.0, "CNC")
    plugin.gtt.modify_gtt(session, ack.trigger_id, _single(hdfc, 1396.0, 1395.0))
    assert dhan.requests_to(f"/v2/forever/orders/{ack.trigger_id}", "PUT")[-1].json["legName"] == "TARGET_LEG"
    mine = {g.trigger_id: g for g in plugin.gtt.gtt_book(session)}[ack.trigger_id]
    assert (mine.trigger_type, mine.status, mine.action, mine.product) == ("SINGLE", "active", "BUY", "CNC")
    assert [(l.trigger_price, l.price, l.role) for l in mine.legs] == [(1396.0, 1395.0, "single")]
    plugin.gtt.cancel_gtt(session, ack.trigger_id)
    assert {g.trigger_id: g for g in plugin.gtt.gtt_book(session)}[ack.trigger_id].status == "cancelled"


def test_oco_legs_travel_as_target_and_stop_loss(plugin, session, dhan, instruments):
    tcs = instruments[("NSE", "TCS")]
    request = GttRequest(instrument=tcs, trigger_type="OCO", action="SELL", quantity=3, product="CNC",
                         legs=(GttLeg(trigger_price=3505.0, price=3500.0, role="stoploss"),
                               GttLeg(trigger_price=4195.0, price=4200.0, role="target")), last_price=3990.0)
    ack = plugin.gtt.place_gtt(session, request)
    sent = dhan.requests_to("/v2/forever/orders", "POST")[-1].json
    assert (sent["triggerPrice"], sent["triggerPrice1"], sent["quantity1"]) == (4195.0, 3505.0, 3)
    booked = {g.trigger_id: g for g in plugin.gtt.gtt_book(session)}[ack.trigger_id]
    assert [l.role for l in booked.legs] == ["stoploss", "target"] and booked.trigger_prices == [3505.0, 4195.0]
    recorded = {g.trigger_id: g for g in plugin.gtt.gtt_book(session)}["5132208051113"]
    assert recorded.trigger_type == "OCO" and len(recorded.legs) == 2


def test_unknown_trigger_is_order_not_found(plugin, session):
    with pytest.raises(OrderNotFound):
        plugin.gtt.cancel_gtt(session, "404404")
