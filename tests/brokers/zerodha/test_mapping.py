"""Unified ⇄ Kite field translations and the error table."""
from __future__ import annotations

import pytest

from broker import errors
from broker.zerodha import mapping as m
from tests.fakes.fixtures import kite_json


def test_every_recorded_order_status_maps_to_a_contract_status():
    statuses = {o["status"]: m.to_unified_status(o["status"]) for o in kite_json("orders.json")["data"]}
    assert statuses == {"CANCELLED": "cancelled", "COMPLETE": "complete", "REJECTED": "rejected"}
    history = [m.to_unified_status(o["status"]) for o in kite_json("order_info.json")["data"]]
    assert set(history) == {"open"}     # every in-flight stage of Kite's pipeline is still open
    assert m.to_unified_status("TRIGGER PENDING") == "trigger pending"
    assert m.to_unified_status("AMO REQ RECEIVED") == "open"


def test_timestamps_become_ist_display_strings():
    assert m.to_unified_time("2021-05-31 09:18:57") == "31-May-2021 09:18:57"
    assert m.to_unified_time(None) == "" and m.to_unified_time("09:16:39") == ""
    candle = m.parse_kite_time("2017-12-15T09:15:00+0530")
    assert candle.isoformat() == "2017-12-15T09:15:00+05:30"
    assert m.parse_kite_time("2021-06-08 15:45:56").isoformat() == "2021-06-08T15:45:56+05:30"


def test_exchanges_both_ways():
    assert m.to_kite_exchange("NSE_INDEX") == "NSE" and m.to_kite_exchange("NFO") == "NFO"
    assert m.to_unified_exchange("BSE", "INDICES") == "BSE_INDEX" and m.to_unified_exchange("NSE", "NSE") == "NSE"
    assert m.instrument_key("NSE_INDEX", "NIFTY 50") == "NSE:NIFTY 50"


def test_market_and_sl_m_orders_carry_automatic_market_protection():
    market = m.order_form(exchange="NSE", broker_symbol="SBIN", action="buy", quantity=1, product="MIS",
                          pricetype="MARKET", price=500)
    assert market == {"exchange": "NSE", "tradingsymbol": "SBIN", "transaction_type": "BUY", "quantity": 1,
                      "product": "MIS", "order_type": "MARKET", "validity": "DAY", "market_protection": -1}
    slm = m.order_form(exchange="NFO", broker_symbol="NIFTY25DECFUT", action="SELL", quantity=75,
                       product="NRML", pricetype="SL-M", trigger_price=25000)
    assert slm["trigger_price"] == 25000 and slm["market_protection"] == -1 and "price" not in slm
    limit = m.order_form(exchange="NSE", broker_symbol="SBIN", action="BUY", quantity=1, product="CNC",
                         pricetype="LIMIT", price=500, tag="a-very-long-strategy-tag-name")
    assert limit["price"] == 500 and "market_protection" not in limit and len(limit["tag"]) == 20
    assert m.modify_form(pricetype="MARKET", quantity=2)["market_protection"] == -1
    assert m.modify_form(pricetype="SL", quantity=2, price=10, trigger_price=9) == {
        "order_type": "SL", "quantity": 2, "validity": "DAY", "price": 10, "trigger_price": 9}


@pytest.mark.parametrize("status, error_type, message, kind", [
    (403, "TokenException", "Incorrect `api_key` or `access_token`.", errors.TokenExpired),
    (400, "InputException", "Invalid `quantity`.", errors.InvalidOrder),
    (400, "InputException", "Insufficient funds. Required margin is 95417.84", errors.InsufficientFunds),
    (400, "OrderException", "Couldn't find that `order_id`.", errors.OrderNotFound),
    (400, "InputException", "Invalid `tradingsymbol`.", errors.UnknownSymbol),
    (403, "PermissionException", "not allowed", errors.AuthError),
    (429, "GeneralException", "Too many requests", errors.RateLimited),
    (502, None, "", errors.BrokerUnavailable),
    (503, "NetworkException", "Gateway timed out", errors.BrokerUnavailable),
    (500, "DataException", "Unknown content", errors.BrokerUnavailable),
    (500, "GeneralException", "Something went wrong", errors.BrokerError),
    (500, "NetworkException", "Couldn't reach the OMS", errors.BrokerUnavailable),
    (404, None, "", errors.OrderNotFound),
])
def test_error_table(status, error_type, message, kind):
    assert m.error_class(status, error_type, message) is kind


def test_only_gateway_and_throttle_answers_are_retryable():
    assert m.error_class(429, None).retryable and m.error_class(503, None).retryable
    assert not m.error_class(403, "TokenException").retryable
    assert not m.error_class(400, "OrderException", "margin exceeds").retryable


# Kite Connect v3 docs, "Exceptions and errors": every documented `error_type`, the unified error it is,
# and so the HTTP status a client of this server sees.
KITE_EXCEPTIONS = {
    "TokenException": (errors.TokenExpired, 403), "UserException": (errors.AuthError, 403),
    "PermissionException": (errors.AuthError, 403), "InputException": (errors.InvalidOrder, 400),
    "OrderException": (errors.OrderRejected, 400), "MarginException": (errors.InsufficientFunds, 400),
    "HoldingException": (errors.OrderRejected, 400), "NetworkException": (errors.BrokerUnavailable, 500),
    "DataException": (errors.BrokerUnavailable, 500), "GeneralException": (errors.BrokerError, 500),
}


def test_the_plugins_error_table_covers_every_documented_kite_exception():
    from broker.contract import PluginConfig
    from broker.zerodha import create_plugin

    table = create_plugin(PluginConfig(settings={})).error_table
    assert set(table.codes) == set(KITE_EXCEPTIONS)
    for error_type, (kind, status) in KITE_EXCEPTIONS.items():
        error = table.error(code=error_type, message="from Kite")
        assert type(error) is kind and error.http_status == status, error_type
