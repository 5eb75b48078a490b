"""Dhan's vocabulary ⇄ the unified one, and its error codes → the unified error kinds."""
from __future__ import annotations

import pytest

from broker.dhan.mapping import (ERROR_CODES, SEGMENTS, error_class, modify_body, order_body, parse_dhan_time,
                                 to_dhan_order_type, to_dhan_product, to_segment, to_unified_exchange,
                                 to_unified_pricetype, to_unified_product, to_unified_status, to_unified_time)
from broker.errors import (AuthError, BrokerError, BrokerUnavailable, InsufficientFunds, InvalidOrder, NetworkError,
                           OrderNotFound, OrderRejected, RateLimited, TokenExpired, UnknownSymbol)
from tests.fakes.dhan.fixtures import dhan_json


@pytest.mark.parametrize("exchange, segment", [
    ("NSE", "NSE_EQ"), ("BSE", "BSE_EQ"), ("NFO", "NSE_FNO"), ("BFO", "BSE_FNO"), ("MCX", "MCX_COMM"),
    ("CDS", "NSE_CURRENCY"), ("BCD", "BSE_CURRENCY"), ("NSE_INDEX", "IDX_I"), ("BSE_INDEX", "IDX_I")])
def test_segments_both_ways(exchange, segment):
    assert to_segment(exchange) == segment
    index_exchange = exchange.split("_")[0]
    assert to_unified_exchange(segment, index_exchange) == exchange


def test_unknown_exchange_names_the_allowed_ones():
    with pytest.raises(ValueError, match="NSE_EQ|NSE, BSE"):
        to_segment("NYSE")
    assert len(SEGMENTS) == 9


@pytest.mark.parametrize("dhan, unified", [("CNC", "CNC"), ("MTF", "CNC"), ("INTRADAY", "MIS"), ("MARGIN", "NRML"),
                                           ("CO", "MIS"), ("BO", "MIS")])
def test_products(dhan, unified):
    assert to_unified_product(dhan) == unified
    if dhan in ("CNC", "INTRADAY", "MARGIN"):
        assert to_dhan_product(unified) == dhan


@pytest.mark.parametrize("unified, dhan", [("MARKET", "MARKET"), ("LIMIT", "LIMIT"), ("SL", "STOP_LOSS"),
                                           ("SL-M", "STOP_LOSS_MARKET")])
def test_order_types(unified, dhan):
    assert to_dhan_order_type(unified) == dhan and to_unified_pricetype(dhan) == unified


@pytest.mark.parametrize("status, order_type, unified", [
    ("TRANSIT", "LIMIT", "open"), ("PENDING", "LIMIT", "open"), ("PENDING", "STOP_LOSS", "trigger pending"),
    ("PENDING", "STOP_LOSS_MARKET", "trigger pending"), ("PART_TRADED", "LIMIT", "open"),
    ("TRADED", "MARKET", "complete"), ("REJECTED", "LIMIT", "rejected"), ("CANCELLED", "LIMIT", "cancelled"),
    ("EXPIRED", "LIMIT", "cancelled"), ("Traded", "LIMIT", "complete"), ("SOMETHING_NEW", "LIMIT", "open")])
def test_statuses(status, order_type, unified):
    assert to_unified_status(status, order_type) == unified


def test_times_are_ist_and_the_filler_date_is_empty():
    moment = parse_dhan_time("2024-09-11 10:14:21")
    assert moment.utcoffset().total_seconds() == 19800
    assert to_unified_time("2024-09-11 10:14:21") == "11-Sep-2024 10:14:21"
    assert to_unified_time("0001-01-01 00:00:00") == "" and to_unified_time("") == ""


def test_order_body_sends_only_the_prices_the_type_uses():
    body = order_body(client_id="1000000003", segment="NSE_EQ", security_id="1333", action="buy", quantity=5,
                      product="MIS", pricetype="SL-M", price=1428.0, trigger_price=1420.0, correlation_id="x" * 40)
    assert body == {"dhanClientId": "1000000003", "transactionType": "BUY", "exchangeSegment": "NSE_EQ",
                    "productType": "INTRADAY", "orderType": "STOP_LOSS_MARKET", "validity": "DAY",
                    "securityId": "1333", "quantity": 5, "disclosedQuantity": 0, "afterMarketOrder": False,
                    "price": 0.0, "triggerPrice": 1420.0, "correlationId": "x" * 25}
    amo = order_body(client_id="1", segment="NSE_EQ", security_id="1333", action="SELL", quantity=1, product="CNC",
                     pricetype="LIMIT", price=10.0, amo=True)
    assert amo["afterMarketOrder"] is True and amo["amoTime"] == "OPEN" and amo["price"] == 10.0
    modify = modify_body(client_id="1", order_id="42", pricetype="LIMIT", quantity=3, price=9.5)
    assert modify["orderId"] == "42" and modify["legName"] == "ENTRY_LEG" and modify["triggerPrice"] == 0.0


# every documented code maps to the unified error its meaning implies, with that error's HTTP status
DOCUMENTED = {"DH-901": (TokenExpired, 403), "DH-902": (AuthError, 403), "DH-903": (OrderRejected, 400),
              "DH-904": (RateLimited, 429), "DH-905": (InvalidOrder, 400), "DH-906": (OrderRejected, 400),
              "DH-907": (UnknownSymbol, 400), "DH-908": (BrokerUnavailable, 500), "DH-909": (NetworkError, 500),
              "DH-910": (BrokerError, 500), "800": (BrokerUnavailable, 500), "805": (RateLimited, 429),
              "806": (AuthError, 403), "807": (TokenExpired, 403), "808": (TokenExpired, 403),
              "809": (TokenExpired, 403), "810": (AuthError, 403), "813": (UnknownSymbol, 400)}


@pytest.mark.parametrize("code", sorted(dhan_json("errors.json")["trading"]) + sorted(dhan_json("errors.json")["data"]))
def test_every_documented_code_is_in_the_table(code):
    assert code in ERROR_CODES
    if code in DOCUMENTED:
        kind, status = DOCUMENTED[code]
        assert ERROR_CODES[code] is kind and kind.http_status == status


def test_messages_refine_vague_codes_and_statuses_win_for_throttling():
    recorded = dhan_json("orders.json")[2]["omsErrorDescription"]
    assert error_class(400, "DH-906", recorded) is InsufficientFunds
    assert error_class(400, "DH-906", "Order not found: 42") is OrderNotFound
    assert error_class(400, "DH-906", "Order is TRADED and cannot be modified") is OrderRejected
    assert error_class(429, "DH-905", "") is RateLimited
    assert error_class(401, "", "") is TokenExpired
    assert error_class(503, "", "") is BrokerUnavailable
