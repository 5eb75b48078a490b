"""Dhan's failures become the unified errors: expired token, throttling, server errors, garbage, silence."""
from __future__ import annotations

import time

import pytest

from broker.contract import OrderRequest
from broker.errors import (BrokerUnavailable, InsufficientFunds, InvalidOrder, NetworkError, RateLimited,
                           TokenExpired)


def _buy(instruments, **fields):
    return OrderRequest(instrument=instruments[("NSE", "HDFCBANK")], action="BUY", quantity=1, product="CNC",
                        **({"pricetype": "LIMIT", "price": 1400.0} | fields))


def test_expired_token_mid_day_is_token_expired(plugin, session, dhan):
    plugin.orders.order_book(session)
    dhan.expire_token()
    with pytest.raises(TokenExpired) as expired:
        plugin.orders.order_book(session)
    assert expired.value.code == "DH-901" and expired.value.http_status == 403
    assert dhan.access_token not in str(expired.value)


def test_a_throttled_order_is_not_resent(plugin, session, dhan, instruments):
    recorded = len(dhan.orders)
    dhan.fail_next(429, paths=("/orders",))
    with pytest.raises(RateLimited):
        plugin.orders.place_order(session, _buy(instruments))
    assert len(dhan.requests_to("/v2/orders", "POST")) == 1
    assert len(dhan.orders) == recorded


def test_a_throttled_read_is_retried_once_then_answers(plugin, session, dhan):
    dhan.fail_next(429, paths=("/holdings",))
    assert plugin.orders.holdings(session)
    assert len(dhan.requests_to("/v2/holdings")) == 2


def test_a_429_storm_ends_in_a_clear_error_without_a_loop(plugin, session, dhan):
    dhan.fail_next(429, times=50, paths=("/positions",))
    with pytest.raises(RateLimited):
        plugin.orders.positions(session)
    assert len(dhan.requests_to("/v2/positions")) == 2      # the one allowed retry, then the error


def test_business_errors_by_code_and_message(plugin, session, dhan, instruments):
    dhan.fail_next(400, "DH-906", "RMS:Margin Exceeds,Required:1400.00, Available:12.00", paths=("/orders",))
    with pytest.raises(InsufficientFunds, match="Margin Exceeds"):
        plugin.orders.place_order(session, _buy(instruments))
    with pytest.raises(InvalidOrder, match="price"):
        plugin.orders.place_order(session, _buy(instruments, price=0.0))


def test_server_errors_and_garbage(plugin, session, dhan):
    dhan.fail_next(500, "DH-908", paths=("/fundlimit",))
    with pytest.raises(BrokerUnavailable):
        plugin.funds.funds(session)
    dhan.malformed_next(paths=("/trades",))
    with pytest.raises(BrokerUnavailable, match="not JSON"):
        plugin.orders.trade_book(session)


def test_a_slow_answer_times_out(plugin, session, dhan, instruments):
    dhan.slow_next(2.5, paths=("/orders",))
    started = time.monotonic()
    with pytest.raises(NetworkError):
        plugin.orders.place_order(session, _buy(instruments))
    assert time.monotonic() - started < 2.4
