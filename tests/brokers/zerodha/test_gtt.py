"""Zerodha GTT through Kite's GTT API on the fake Kite server: the recorded book, and place / modify /
trigger / cancel with the form Kite documents."""
from __future__ import annotations

import json

import pytest

from broker.contract import BrokerPlugin, BrokerSession, GttLeg, GttRequest
from broker.errors import BrokerError
from tests.brokers.zerodha.conftest import INFY
from tests.fakes.kite_server import KiteServer


def _oco(last_price: float, quantity: int = 1) -> GttRequest:
    return GttRequest(instrument=INFY, trigger_type="OCO", action="SELL", quantity=quantity, product="CNC",
                      legs=(GttLeg(role="stoploss", trigger_price=round(last_price * 0.9, 1), price=round(last_price * 0.89, 1)),
                            GttLeg(role="target", trigger_price=round(last_price * 1.1, 1), price=round(last_price * 1.11, 1))),
                      last_price=last_price, strategy="gtt")


def test_the_recorded_gtt_book_in_unified_form(plugin: BrokerPlugin, session: BrokerSession):
    single, oco = plugin.gtt.gtt_book(session)[:2]
    assert (single.trigger_id, single.trigger_type, single.status, single.symbol, single.action) == \
        ("112127", "SINGLE", "active", "INFY", "BUY")
    assert [(leg.role, leg.trigger_price, leg.price, leg.pricetype) for leg in single.legs] == \
        [("single", 702.0, 702.5, "LIMIT")]
    assert (oco.trigger_type, oco.status, oco.trigger_prices, oco.last_price) == ("OCO", "triggered", [102.0, 103.7], 102.6)
    assert [leg.role for leg in oco.legs] == ["stoploss", "target"]
    assert "lower circuit" in oco.rejection_reason and oco.expires_at.year == 2020


def test_place_modify_trigger_and_cancel(plugin: BrokerPlugin, session: BrokerSession, kite: KiteServer):
    ack = plugin.gtt.place_gtt(session, _oco(1500.0))
    [sent] = kite.requests_to("/gtt/triggers", "POST")
    condition, orders = json.loads(sent.form["condition"]), json.loads(sent.form["orders"])
    assert sent.form["type"] == "two-leg" and condition["trigger_values"] == [1350.0, 1650.0]
    assert (condition["tradingsymbol"], condition["exchange"], condition["last_price"]) == ("INFY", "NSE", 1500.0)
    assert [(o["transaction_type"], o["order_type"], o["product"], o["price"]) for o in orders] == \
        [("SELL", "LIMIT", "CNC", 1335.0), ("SELL", "LIMIT", "CNC", 1665.0)]

    plugin.gtt.modify_gtt(session, ack.trigger_id, _oco(1500.0, quantity=3))
    mine = next(g for g in plugin.gtt.gtt_book(session) if g.trigger_id == ack.trigger_id)
    assert (mine.status, mine.quantity, mine.trigger_type) == ("active", 3, "OCO")

    order_id = kite.trigger_gtt(int(ack.trigger_id), leg=1)
    fired = next(g for g in plugin.gtt.gtt_book(session) if g.trigger_id == ack.trigger_id)
    assert fired.status == "triggered" and [leg.order_id for leg in fired.legs] == ["", order_id]
    assert plugin.orders.order_status(session, order_id).action == "SELL"
    with pytest.raises(BrokerError, match="triggered"):
        plugin.gtt.cancel_gtt(session, ack.trigger_id)

    other = plugin.gtt.place_gtt(session, _oco(1500.0))
    plugin.gtt.cancel_gtt(session, other.trigger_id)
    assert next(g for g in plugin.gtt.gtt_book(session) if g.trigger_id == other.trigger_id).status == "cancelled"


def test_an_asked_validity_is_refused_before_kite_is_called(plugin: BrokerPlugin, session: BrokerSession,
                                                            kite: KiteServer):
    """Kite keeps a GTT for its own term: a `validity_days` request must not be placed as if it were kept."""
    from dataclasses import replace
    from datetime import datetime, timedelta, timezone

    from broker.errors import InvalidOrder

    asked = replace(_oco(1500.0), expires_at=datetime.now(timezone.utc) + timedelta(days=7))
    with pytest.raises(InvalidOrder, match="Zerodha sets a GTT's validity itself"):
        plugin.gtt.place_gtt(session, asked)
    with pytest.raises(InvalidOrder, match="validity_days is not supported"):
        plugin.gtt.modify_gtt(session, "112127", asked)
    assert kite.requests_to("/gtt/triggers", "POST") == [] and kite.requests_to("/gtt/triggers", "PUT") == []
