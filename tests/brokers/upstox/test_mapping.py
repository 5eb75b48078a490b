"""Pure Upstox translations: instrument keys and segments, products, statuses, request bodies, errors."""
from __future__ import annotations

import pytest

from broker.errors import (AuthError, BrokerUnavailable, InsufficientFunds, InvalidOrder, NetworkError,
                           OrderNotFound, OrderRejected, RateLimited, TokenExpired, UnknownSymbol)
from broker.upstox.mapping import (ERROR_TABLE, error_class, first_error, modify_body, order_body, quote_key,
                                   segment_exchange, split_instrument_key, to_unified_pricetype, to_unified_product,
                                   to_unified_status, to_unified_time, to_upstox_product)
from tests.brokers.upstox.fixtures import upstox_json


@pytest.mark.parametrize("key, exchange", [
    ("NSE_EQ|INE062A01020", "NSE"), ("BSE_EQ|INE220J01025", "BSE"), ("NSE_FO|52567", "NFO"),
    ("BSE_FO|1131867", "BFO"), ("MCX_FO|430106", "MCX"), ("NCD_FO|1234", "CDS"), ("BCD_FO|998", "BCD"),
    ("NSE_INDEX|Nifty 50", "NSE_INDEX"), ("BSE_INDEX|SENSEX", "BSE_INDEX"), ("NSE_COM|7777", ""), ("junk", "")])
def test_segments_of_instrument_keys(key: str, exchange: str) -> None:
    assert segment_exchange(key) == exchange


def test_instrument_key_parts_and_quote_keys() -> None:
    assert split_instrument_key("NSE_INDEX|Nifty 50") == ("NSE_INDEX", "Nifty 50")
    assert quote_key("NSE_EQ|INE002A01018", "RELIANCE") == "NSE_EQ:RELIANCE"


@pytest.mark.parametrize("code, key, unified", [
    ("I", "NSE_EQ|INE062A01020", "MIS"), ("D", "NSE_EQ|INE062A01020", "CNC"), ("D", "NSE_FO|52567", "NRML"),
    ("D", "MCX_FO|430106", "NRML"), ("D", "NCD_FO|1234", "NRML"), ("MTF", "NSE_EQ|INE062A01020", "CNC"),
    ("I", "NSE_FO|52567", "MIS")])
def test_products_read(code: str, key: str, unified: str) -> None:
    assert to_unified_product(code, key) == unified


def test_products_sent() -> None:
    assert [to_upstox_product(p) for p in ("MIS", "CNC", "NRML")] == ["I", "D", "D"]


@pytest.mark.parametrize("status, unified", [
    ("complete", "complete"), ("rejected", "rejected"), ("cancelled", "cancelled"),
    ("trigger pending", "trigger pending"), ("open", "open"), ("put order req received", "open"),
    ("validation pending", "open"), ("open pending", "open"), ("modify pending", "open"),
    ("after market order req received", "open"), ("cancelled after market order", "cancelled"),
    ("not cancelled", "open"), (None, "open")])
def test_statuses(status: str, unified: str) -> None:
    assert to_unified_status(status) == unified


def test_order_types_and_times() -> None:
    assert [to_unified_pricetype(t) for t in ("MARKET", "LIMIT", "SL", "SL-M", "junk")] == \
        ["MARKET", "LIMIT", "SL", "SL-M", "LIMIT"]
    assert to_unified_time("2023-10-19 09:23:23") == "19-Oct-2023 09:23:23"
    assert to_unified_time("20-Oct-2023 11:10:23") == "20-Oct-2023 11:10:23"      # the trade book's form
    assert to_unified_time("2025-01-02T09:15:00+05:30") == "02-Jan-2025 09:15:00"
    assert to_unified_time("") == to_unified_time("garbage") == ""


def test_order_body_for_a_limit_order_matches_the_documented_request() -> None:
    body = order_body(instrument_key="NSE_EQ|INE062A01020", action="buy", quantity=5, product="MIS",
                      pricetype="LIMIT", price=571.5, trigger_price=560, tag="strategy-1", is_amo=True)
    assert body == {"quantity": 5, "product": "I", "validity": "DAY", "tag": "strategy-1",
                    "instrument_token": "NSE_EQ|INE062A01020", "order_type": "LIMIT", "transaction_type": "BUY",
                    "disclosed_quantity": 0, "is_amo": True, "slice": True, "price": 571.5, "trigger_price": 0.0}


def test_order_body_prices_only_where_the_price_type_uses_them() -> None:
    market = order_body(instrument_key="NSE_FO|52567", action="SELL", quantity=750, product="NRML",
                        pricetype="MARKET", price=99, trigger_price=98)
    assert (market["price"], market["trigger_price"], market["product"], "tag" in market) == (0.0, 0.0, "D", False)
    stop = order_body(instrument_key="NSE_FO|52567", action="SELL", quantity=750, product="NRML",
                      pricetype="SL-M", trigger_price=98)
    assert (stop["price"], stop["trigger_price"]) == (0.0, 98.0)
    assert modify_body(order_id="1", pricetype="SL", quantity=2, price=10, trigger_price=9.5) == {
        "order_id": "1", "order_type": "SL", "quantity": 2, "validity": "DAY", "disclosed_quantity": 0,
        "price": 10.0, "trigger_price": 9.5}


@pytest.mark.parametrize("fixture, status, kind", [
    ("error_invalid_token.json", 401, TokenExpired), ("error_invalid_token.json", 403, TokenExpired),
    ("error_rate_limited.json", 429, RateLimited), ("error_unknown_order.json", 400, OrderNotFound),
    ("error_invalid_input.json", 400, InvalidOrder)])
def test_recorded_error_bodies(fixture: str, status: int, kind: type) -> None:
    code, message = first_error(upstox_json(fixture))
    assert error_class(status, code, message) is kind


def test_errors_without_a_known_code() -> None:
    assert error_class(429, "", "") is RateLimited
    assert error_class(503, "", "") is BrokerUnavailable and error_class(504, "", "") is NetworkError
    assert error_class(500, "UDAPI100500", "Something went wrong") is BrokerUnavailable
    assert error_class(401, "", "") is TokenExpired
    assert error_class(400, "UDAPI1999", "You need to add Rs. 138385.27 in your account") is InsufficientFunds
    assert error_class(400, "UDAPI1999", "Invalid instrument key") is UnknownSymbol
    assert error_class(400, "UDAPI1999", "something else") is OrderRejected
    assert error_class(403, "UDAPI100067", "") is AuthError
    assert first_error({"status": "error"}) == ("", "") and first_error("not json") == ("", "")


def test_every_error_table_entry_is_a_unified_error() -> None:
    for code, kind in ERROR_TABLE.codes.items():
        assert code.startswith("UDAPI") and ERROR_TABLE.classify(code=code) is kind
