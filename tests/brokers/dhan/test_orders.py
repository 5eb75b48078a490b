"""Orders on the fake Dhan server through the plugin: the JSON Dhan receives and the unified answers."""
from __future__ import annotations

from dataclasses import replace

import pytest

from broker.contract import ModifyRequest, OrderRequest
from broker.dhan.orders import SymbolNames
from broker.errors import OrderNotFound, OrderRejected
from tests.brokers.dhan.conftest import MARKET_CLOSED


def test_limit_order_json_and_lifecycle(plugin, session, dhan, instruments):
    hdfc = instruments[("NSE", "HDFCBANK")]
    ack = plugin.orders.place_order(session, OrderRequest(instrument=hdfc, action="BUY", quantity=5, product="MIS",
                                                          pricetype="LIMIT", price=dhan.ltp - 5, tag="oa-7"))
    sent = dhan.requests_to("/v2/orders", "POST")[-1]
    assert sent.json == {"dhanClientId": dhan.client_id, "transactionType": "BUY", "exchangeSegment": "NSE_EQ",
                         "productType": "INTRADAY", "orderType": "LIMIT", "validity": "DAY", "securityId": "1333",
                         "quantity": 5, "disclosedQuantity": 0, "afterMarketOrder": False, "price": dhan.ltp - 5,
                         "triggerPrice": 0.0, "correlationId": "oa-7"}
    assert sent.headers["Access-Token"] == dhan.access_token and sent.headers["Client-Id"] == dhan.client_id
    order = plugin.orders.order_status(session, ack.order_id)
    assert (order.symbol, order.exchange, order.status, order.product, order.price) == (
        "HDFCBANK", "NSE", "open", "MIS", dhan.ltp - 5)

    plugin.orders.modify_order(session, ModifyRequest(order_id=ack.order_id, instrument=hdfc, action="BUY", quantity=7,
                                                      product="MIS", pricetype="LIMIT", price=dhan.ltp - 6))
    modified = dhan.requests_to(f"/v2/orders/{ack.order_id}", "PUT")[-1].json
    assert (modified["orderId"], modified["quantity"], modified["price"], modified["orderType"]) == (
        ack.order_id, 7, dhan.ltp - 6, "LIMIT")
    booked = {o.order_id: o for o in plugin.orders.order_book(session)}[ack.order_id]
    assert (booked.quantity, booked.price) == (7, dhan.ltp - 6)

    plugin.orders.cancel_order(session, ack.order_id)
    assert plugin.orders.order_status(session, ack.order_id).status == "cancelled"
    with pytest.raises(OrderRejected, match="CANCELLED"):
        plugin.orders.cancel_order(session, ack.order_id)


def test_market_order_fills_into_trades_and_positions(plugin, session, dhan, instruments):
    dhan.live_positions = True
    hdfc = instruments[("NSE", "HDFCBANK")]
    ack = plugin.orders.place_order(session, OrderRequest(instrument=hdfc, action="SELL", quantity=4, product="CNC",
                                                          pricetype="MARKET"))
    order = plugin.orders.order_status(session, ack.order_id)
    assert (order.status, order.filled_quantity, order.average_price, order.price) == ("complete", 4, dhan.ltp, 0.0)
    trade = [t for t in plugin.orders.trade_book(session) if t.order_id == ack.order_id][0]
    assert (trade.action, trade.quantity, trade.average_price, trade.product) == ("SELL", 4, dhan.ltp, "CNC")
    assert plugin.orders.open_position(session, "HDFCBANK", "NSE", "CNC") == -4


def test_after_hours_orders_go_in_as_amo(plugin, session, dhan, instruments):
    plugin.orders.clock = lambda: MARKET_CLOSED
    ack = plugin.orders.place_order(session, OrderRequest(instrument=instruments[("NSE", "TCS")], action="BUY",
                                                          quantity=1, product="CNC", pricetype="LIMIT", price=3900.0))
    sent = dhan.requests_to("/v2/orders", "POST")[-1].json
    assert sent["afterMarketOrder"] is True and sent["amoTime"] == "OPEN"
    assert "AMO" in ack.message
    assert plugin.orders.order_status(session, ack.order_id).status == "open"      # TRANSIT


def test_quantities_above_the_freeze_limit_are_sliced(plugin, session, dhan, instruments):
    option = replace(instruments[("NFO", "NIFTY26DEC2424000CE")], freeze_qty=dhan.freeze_quantity)
    recorded = set(dhan.orders)
    ack = plugin.orders.place_order(session, OrderRequest(instrument=option, action="BUY", quantity=3675,
                                                          product="NRML", pricetype="LIMIT", price=120.5))
    assert dhan.requests_to("/v2/orders/slicing", "POST") and "sliced by Dhan into 3 orders" in ack.message
    assert sorted(o["quantity"] for i, o in dhan.orders.items() if i not in recorded) == [75, 1800, 1800]


def test_unknown_order_is_order_not_found(plugin, session):
    with pytest.raises(OrderNotFound):
        plugin.orders.order_status(session, "999999999")


def test_recorded_books_map_to_unified_rows(plugin, session):
    book = {o.order_id: o for o in plugin.orders.order_book(session)}
    rejected = book["112111182301"]
    assert (rejected.status, rejected.pricetype, rejected.product) == ("rejected", "SL", "CNC")
    assert "Margin Exceeds" in rejected.rejection_reason
    traded = book["112111182045"]
    assert (traded.status, traded.exchange, traded.product, traded.average_price) == ("complete", "NFO", "NRML", 24380.5)
    assert traded.timestamp == "11-Sep-2024 09:31:02"
    part = book["112111182400"]
    assert (part.status, part.filled_quantity) == ("open", 75)
    positions = {(p.symbol, p.product): p for p in plugin.orders.positions(session)}
    short = positions[("NIFTY-Dec2024-FUT", "NRML")]
    assert (short.quantity, short.average_price, short.unrealized_pnl) == (-75, 24380.5, -1125.0)
    assert positions[("HDFCBANK", "MIS")].pnl == 55.0
    holdings = {h.symbol: h for h in plugin.orders.holdings(session)}
    assert (holdings["HDFCBANK"].quantity, holdings["HDFCBANK"].pnl) == (12, round((1428.0 - 1388.25) * 12, 2))


class _Lookup:
    """The master contract's by-broker-symbol lookup over the recorded scrip master."""

    def __init__(self, rows):
        self.rows = {(r.brsymbol, r.brexchange): r for r in rows.values()}

    def by_brsymbol(self, brsymbol, brexchange):
        return self.rows.get((brsymbol, brexchange))


def test_broker_symbols_become_openalgo_symbols_through_the_master(instruments):
    names = SymbolNames(_Lookup(instruments))
    assert names("NSE_FNO", "NIFTY-Dec2024-FUT") == ("NIFTY26DEC24FUT", "NFO")
    assert names("NSE_FNO", "NIFTY-Dec2024-24000-CE") == ("NIFTY26DEC2424000CE", "NFO")
    assert names("MCX_COMM", "UNKNOWN-X") == ("UNKNOWN-X", "MCX")
