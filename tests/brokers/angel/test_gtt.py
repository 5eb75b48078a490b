"""GTT rules through the fake SmartAPI: single LIMIT triggers for CNC / NRML, modify, cancel, the book."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from broker.contract import GttLeg, GttRequest
from broker.errors import InvalidOrder, OrderNotFound, OrderRejected
from tests.brokers.angel.conftest import SBIN
from tests.fakes.angel.data import base_price, fixture

CREATE = "/gtt-service/rest/secure/angelbroking/gtt/v1/createRule"


def _request(**overrides) -> GttRequest:
    ltp = base_price("3045")
    fields = dict(instrument=SBIN, trigger_type="SINGLE", action="BUY", quantity=10, product="CNC",
                  legs=(GttLeg(trigger_price=round(ltp * 0.9, 1), price=round(ltp * 0.9 + 0.5, 1)),), last_price=ltp)
    fields.update(overrides)
    return GttRequest(**fields)


def test_place_modify_cancel_and_the_book(plugin, angel, session):
    ack = plugin.gtt.place_gtt(session, _request())
    sent = angel.requests_to(CREATE)[-1].json
    assert sent == {"tradingsymbol": "SBIN-EQ", "symboltoken": "3045", "exchange": "NSE", "transactiontype": "BUY",
                    "producttype": "DELIVERY", "price": sent["price"], "qty": "10", "triggerprice": sent["triggerprice"],
                    "disclosedqty": "0", "timeperiod": "365"}
    [rule] = [g for g in plugin.gtt.gtt_book(session) if g.trigger_id == ack.trigger_id]
    assert (rule.status, rule.symbol, rule.quantity, rule.product, rule.trigger_type) == ("active", "SBIN", 10, "CNC", "SINGLE")

    lower = round(base_price("3045") * 0.85, 1)
    plugin.gtt.modify_gtt(session, ack.trigger_id, _request(quantity=5, product="NRML",
                                                            legs=(GttLeg(trigger_price=lower, price=lower + 1),)))
    [rule] = [g for g in plugin.gtt.gtt_book(session) if g.trigger_id == ack.trigger_id]
    assert (rule.quantity, rule.legs[0].trigger_price, rule.legs[0].price) == (5, lower, lower + 1)

    plugin.gtt.cancel_gtt(session, ack.trigger_id)
    assert [g.status for g in plugin.gtt.gtt_book(session) if g.trigger_id == ack.trigger_id] == ["cancelled"]
    with pytest.raises(OrderRejected, match="cannot be changed"):
        plugin.gtt.cancel_gtt(session, ack.trigger_id)


def test_a_validity_date_becomes_the_time_period_in_days(plugin, angel, session):
    now = datetime(2025, 12, 30, 10, 0, tzinfo=timezone.utc)
    plugin.gtt.clock = lambda: now
    plugin.gtt.place_gtt(session, _request(expires_at=now + timedelta(days=30)))
    assert angel.requests_to(CREATE)[-1].json["timeperiod"] == "30"
    with pytest.raises(InvalidOrder, match="1 to 365 days"):
        plugin.gtt.place_gtt(session, _request(expires_at=now + timedelta(days=400)))


@pytest.mark.parametrize("overrides, message", [
    ({"trigger_type": "OCO", "legs": (GttLeg(trigger_price=700, price=700, role="stoploss"),
                                      GttLeg(trigger_price=900, price=900, role="target"))}, "OCO"),
    ({"legs": (GttLeg(trigger_price=700, price=0, pricetype="MARKET"),)}, "LIMIT"),
    ({"product": "MIS"}, "CNC or NRML")])
def test_what_angel_does_not_offer_is_refused_before_asking(plugin, angel, session, overrides, message):
    with pytest.raises(InvalidOrder, match=message):
        plugin.gtt.place_gtt(session, _request(**overrides))
    assert not angel.requests_to(CREATE)


def test_unknown_rule_is_not_found(plugin, session):
    with pytest.raises(OrderNotFound):
        plugin.gtt.cancel_gtt(session, "424242")
    with pytest.raises(OrderNotFound):
        plugin.gtt.modify_gtt(session, "424242", _request())


def test_recorded_rule_list_maps(plugin):
    [rule] = map(plugin.gtt.gtt, fixture("gtt_rule_list.json")["data"])
    assert (rule.trigger_id, rule.status, rule.symbol, rule.action, rule.quantity, rule.product) == \
        ("1000014", "active", "SBIN", "BUY", 10, "CNC")
    assert (rule.legs[0].trigger_price, rule.legs[0].price) == (196.0, 195.0)
    assert rule.created_at == datetime(2020, 11, 16, 14, 19, 51, tzinfo=timezone.utc)
