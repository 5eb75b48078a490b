"""The Noren plugins' margin calculator (GetBasketMargin, SpanCalc), after-market orders (`amo`) and GTTs
(PlaceGTTOrder / ModifyGTTOrder / CancelGTTOrder / GetPendingGTTOrder) against the fake Noren OMS."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from broker.contract import GttLeg, GttRequest, MarginLeg, OrderRequest
from broker.errors import InvalidOrder, OrderNotFound
from broker.noren.mapping import IST
from tests.brokers.noren.conftest import presented
from tests.fakes.noren.server import USER_ID
from utils import clock
from utils.market_calendar import is_open, next_open

pytestmark = pytest.mark.dates       # AMO follows the market calendar and the app's clock


def test_capabilities_offer_margin_gtt_and_amo(plugin):
    described = plugin.capabilities.describe()
    assert described["margin_calculator"] is True and described["amo"] is True
    assert {"margin", "place_gtt", "modify_gtt", "cancel_gtt", "gtt_book"} <= set(described["operations"])


def test_an_equity_basket_is_one_getbasketmargin_call(noren, plugin, session, names):
    acc, sbin = names.by_brsymbol("ACC-EQ", "NSE"), names.by_brsymbol("SBIN-EQ", "NSE")
    legs = [MarginLeg(instrument=acc, action="BUY", quantity=10, product="MIS", pricetype="MARKET"),
            MarginLeg(instrument=sbin, action="SELL", quantity=5, product="CNC", pricetype="LIMIT", price=400.0)]
    margin = plugin.funds.margin(session, legs)
    sent = noren.calls_to("GetBasketMargin")[-1]
    assert presented(noren, sent) and not noren.calls_to("SpanCalc")      # no derivatives: no SPAN asked
    assert {k: sent.jdata[k] for k in ("actid", "exch", "tsym", "qty", "prd", "trantype", "prctyp", "prc")} == {
        "actid": USER_ID, "exch": "NSE", "tsym": "ACC-EQ", "qty": "10", "prd": "I", "trantype": "B",
        "prctyp": "MKT", "prc": "0"}
    assert [(b["tsym"], b["prd"], b["trantype"], b["prctyp"], b["prc"]) for b in sent.jdata["basketlists"]] == [
        ("SBIN-EQ", "C", "S", "LMT", "400.0")]
    expected = 10 * noren.prices[("NSE", "22")] * 0.2 + 5 * 400.0
    assert margin.total_margin_required == pytest.approx(expected, abs=0.01)
    assert margin.span_margin is None and margin.raw["stat"] == "Ok"


def test_a_derivatives_basket_also_gets_span_and_exposure(noren, plugin, session, names):
    future, call = names.by_token("35001", "NFO"), names.by_token("35002", "NFO")
    legs = [MarginLeg(instrument=future, action="SELL", quantity=75, product="NRML", pricetype="MARKET"),
            MarginLeg(instrument=call, action="BUY", quantity=150, product="NRML", pricetype="MARKET")]
    margin = plugin.funds.margin(session, legs)
    positions = noren.calls_to("SpanCalc")[-1].jdata["pos"]
    expiry = future.expiry.strftime("%d-%b-%Y").upper()
    assert positions == [
        {"prd": "M", "exch": "NFO", "instname": "FUTIDX", "symname": "NIFTY", "exd": expiry, "optt": "XX",
         "strprc": "-1", "buyqty": "0", "sellqty": "75", "netqty": "-75"},
        {"prd": "M", "exch": "NFO", "instname": "OPTIDX", "symname": "NIFTY", "exd": expiry, "optt": "CE",
         "strprc": "23000.00", "buyqty": "150", "sellqty": "0", "netqty": "150"}]
    notional = 75 * noren.prices[("NFO", "35001")] + 150 * noren.prices[("NFO", "35002")]
    assert margin.span_margin == pytest.approx(notional * 0.1, abs=0.01)
    assert margin.exposure_margin == pytest.approx(notional * 0.03, abs=0.01)
    assert len(noren.calls_to("GetBasketMargin")[-1].jdata["basketlists"]) == 1


def _closed_moment() -> datetime:
    """Noon IST of the next Sunday: no exchange session."""
    today = clock.now().astimezone(IST).date()
    sunday = today + timedelta(days=(6 - today.weekday()) % 7 or 7)
    return datetime.combine(sunday, time(12, 0), tzinfo=IST)


def test_orders_outside_market_hours_go_in_as_amo(noren, plugin, session, names):
    sbin = names.by_brsymbol("SBIN-EQ", "NSE")
    order = OrderRequest(instrument=sbin, action="BUY", quantity=1, product="CNC", pricetype="LIMIT", price=100.0)
    plugin.orders.clock = _closed_moment
    ack = plugin.orders.place_order(session, order)
    assert noren.calls_to("PlaceOrder")[-1].jdata["amo"] == "Yes" and "AMO" in ack.message
    opens = next_open("NSE", _closed_moment()) + timedelta(minutes=30)
    assert is_open("NSE", opens)
    plugin.orders.clock = lambda: opens
    ack = plugin.orders.place_order(session, order)
    assert "amo" not in noren.calls_to("PlaceOrder")[-1].jdata and ack.message == ""


def _gtt(instrument, trigger: float, last: float, **changes) -> GttRequest:
    values = dict(instrument=instrument, trigger_type="SINGLE", action="BUY", quantity=2, product="CNC",
                  legs=(GttLeg(trigger_price=trigger, price=trigger + 1),), last_price=last, strategy="gtt-demo")
    return GttRequest(**{**values, **changes})


def test_gtt_place_book_modify_cancel(noren, plugin, session, names):
    acc = names.by_brsymbol("ACC-EQ", "NSE")
    ltp = noren.prices[("NSE", "22")]
    ack = plugin.gtt.place_gtt(session, _gtt(acc, round(ltp * 1.05, 2), ltp))
    sent = noren.calls_to("PlaceGTTOrder")[-1]
    assert presented(noren, sent)
    assert {k: sent.jdata[k] for k in ("tsym", "exch", "ai_t", "validity", "d", "trantype", "prctyp", "prd", "qty",
                                       "remarks")} == {
        "tsym": "ACC-EQ", "exch": "NSE", "ai_t": "LTP_A_O", "validity": "GTT", "d": str(round(ltp * 1.05, 2)),
        "trantype": "B", "prctyp": "LMT", "prd": "C", "qty": "2", "remarks": "gtt-demo"}
    [gtt] = plugin.gtt.gtt_book(session)
    assert (gtt.trigger_id, gtt.symbol, gtt.exchange, gtt.status, gtt.action, gtt.quantity, gtt.product) == \
        (ack.trigger_id, "ACC", "NSE", "active", "BUY", 2, "CNC")
    assert gtt.legs[0].trigger_price == round(ltp * 1.05, 2) and gtt.strategy == "gtt-demo"

    plugin.gtt.modify_gtt(session, ack.trigger_id, _gtt(acc, round(ltp * 0.95, 2), ltp))
    assert noren.calls_to("ModifyGTTOrder")[-1].jdata["ai_t"] == "LTP_B_O"
    assert plugin.gtt.gtt_book(session)[0].legs[0].trigger_price == round(ltp * 0.95, 2)
    plugin.gtt.cancel_gtt(session, ack.trigger_id)
    assert plugin.gtt.gtt_book(session) == []
    with pytest.raises(OrderNotFound):
        plugin.gtt.cancel_gtt(session, ack.trigger_id)


@pytest.mark.parametrize("changes, field", [
    ({"trigger_type": "OCO"}, "trigger_type"),
    ({"product": "MIS"}, "product"),
    ({"expires_at": datetime(2030, 1, 1, tzinfo=IST)}, "expires_at"),
])
def test_gtts_noren_cannot_keep_are_refused_before_the_oms_is_asked(noren, plugin, session, names, changes, field):
    acc = names.by_brsymbol("ACC-EQ", "NSE")
    ltp = noren.prices[("NSE", "22")]
    with pytest.raises(InvalidOrder, match=field):
        plugin.gtt.place_gtt(session, _gtt(acc, round(ltp * 1.05, 2), ltp, **changes))
    assert not noren.calls_to("PlaceGTTOrder")
