"""Pure translations: exchanges, varieties, order types, products, statuses, request bodies, error table."""
from __future__ import annotations

import pytest

from broker.angel import CAPABILITIES, ERROR_TABLE
from broker.angel.mapping import (ERROR_CODES, exchange_type, modify_body, order_body, parse_angel_time,
                                  to_angel_exchange, to_unified_pricetype, to_unified_product, to_unified_status,
                                  variety_for)
from broker.errors import (AuthError, OrderRejected, BrokerError, BrokerUnavailable, InsufficientFunds, InvalidOrder, OrderNotFound,
                           RateLimited, TokenExpired, UnknownSymbol)


def test_exchanges_and_their_smartstream_types():
    assert {to_angel_exchange(e) for e in ("NSE_INDEX", "BSE_INDEX", "MCX_INDEX")} == {"NSE", "BSE", "MCX"}
    assert [exchange_type(e) for e in ("NSE", "NFO", "BSE", "BFO", "MCX", "CDS", "NSE_INDEX", "BSE_INDEX")] == \
        [1, 2, 3, 4, 5, 13, 1, 3]
    assert CAPABILITIES.exchanges == {"NSE", "BSE", "NFO", "BFO", "CDS", "MCX", "NSE_INDEX", "BSE_INDEX", "MCX_INDEX"}


def test_products_order_types_and_statuses_both_ways():
    assert [to_unified_product(p) for p in ("DELIVERY", "CARRYFORWARD", "INTRADAY", "MARGIN")] == \
        ["CNC", "NRML", "MIS", "NRML"]
    assert [to_unified_pricetype(t) for t in ("MARKET", "LIMIT", "STOPLOSS_LIMIT", "STOPLOSS_MARKET")] == \
        ["MARKET", "LIMIT", "SL", "SL-M"]
    assert [to_unified_status(s) for s in ("complete", "Cancelled", "rejected", "trigger pending", "open",
                                           "open pending", "after market order req received", None)] == \
        ["complete", "cancelled", "rejected", "trigger pending", "open", "open", "open", "open"]


def test_varieties():
    assert variety_for("LIMIT", amo=False) == "NORMAL" and variety_for("MARKET", amo=False) == "NORMAL"
    assert variety_for("SL", amo=False) == variety_for("SL-M", amo=False) == "STOPLOSS"
    assert variety_for("SL", amo=True) == variety_for("LIMIT", amo=True) == "AMO"


def test_order_body_sends_prices_only_where_the_type_uses_them():
    body = order_body(variety="NORMAL", exchange="NSE", trading_symbol="SBIN-EQ", token="3045", action="buy",
                      quantity=2, product="CNC", pricetype="MARKET", price=812.4, trigger_price=800)
    assert body == {"variety": "NORMAL", "tradingsymbol": "SBIN-EQ", "symboltoken": "3045", "transactiontype": "BUY",
                    "exchange": "NSE", "ordertype": "MARKET", "producttype": "DELIVERY", "duration": "DAY",
                    "price": "0", "triggerprice": "0", "squareoff": "0", "stoploss": "0", "quantity": "2"}
    stop = order_body(variety="STOPLOSS", exchange="NFO", trading_symbol="X", token="1", action="SELL", quantity=25,
                      product="NRML", pricetype="SL", price=101.5, trigger_price=102.25, disclosed_quantity=5,
                      tag="a-very-long-strategy-tag-name")
    assert (stop["ordertype"], stop["producttype"], stop["price"], stop["triggerprice"]) == \
        ("STOPLOSS_LIMIT", "CARRYFORWARD", "101.5", "102.25")
    assert stop["disclosedquantity"] == "5" and len(stop["ordertag"]) < 20
    modify = modify_body(variety="NORMAL", order_id="1", exchange="NSE_INDEX", trading_symbol="S", token="2",
                         quantity=3, product="MIS", pricetype="SL-M", price=5, trigger_price=6)
    assert (modify["exchange"], modify["ordertype"], modify["price"], modify["triggerprice"]) == \
        ("NSE", "STOPLOSS_MARKET", "0", "6")


def test_times():
    assert parse_angel_time("20-Oct-2020 13:10:59").isoformat() == "2020-10-20T13:10:59+05:30"
    assert parse_angel_time("2023-09-06T11:15:00+05:30").utcoffset().total_seconds() == 19800
    assert parse_angel_time("garbage") is None and parse_angel_time("") is None


@pytest.mark.parametrize("code, kind, status", [
    ("AG8001", TokenExpired, 403), ("AG8002", TokenExpired, 403), ("AB1010", TokenExpired, 403),
    ("AB8050", TokenExpired, 403), ("AB1000", AuthError, 403), ("AB1050", AuthError, 403),
    ("AB1008", InvalidOrder, 400), ("AB1012", InvalidOrder, 400), ("AB4008", InvalidOrder, 400),
    ("AB1009", UnknownSymbol, 400), ("AB4006", UnknownSymbol, 400), ("AB1013", OrderNotFound, 404),
    ("AB1004", BrokerUnavailable, 500), ("AB2001", BrokerUnavailable, 500), ("AB2000", BrokerError, 500), ("AB9999", BrokerError, 500)])
def test_error_codes_map_to_the_unified_tree(code, kind, status):
    error = ERROR_TABLE.error(code=code, message="from Angel", http_status=200)
    assert type(error) is kind and error.http_status == status and error.code == code


def test_every_documented_code_is_in_the_table_and_messages_refine_the_rest():
    assert set(ERROR_CODES) <= set(ERROR_TABLE.codes)
    throttled = ERROR_TABLE.error(message="Access denied because of exceeding access rate", http_status=403)
    assert isinstance(throttled, RateLimited) and throttled.http_status == 429
    assert isinstance(ERROR_TABLE.error(message="Insufficient funds for the order"), InsufficientFunds)
    assert isinstance(ERROR_TABLE.error(code="AB1007", message="Invalid totp"), AuthError)
    assert isinstance(ERROR_TABLE.error(message="Unauthorized access", http_status=401), TokenExpired)
    assert isinstance(ERROR_TABLE.error(code="AB2000", message="Quantity should be a multiple of lot size 25"),
                      InvalidOrder)
    assert type(ERROR_TABLE.error(code="AB2000", message="Order is complete and cannot be changed")) is OrderRejected
