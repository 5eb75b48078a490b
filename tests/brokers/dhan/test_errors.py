"""Dhan's failures become the unified errors: expired token, throttling, server errors, garbage, silence."""
from __future__ import annotations

import time

import pytest

from broker.contract import OrderRequest
from broker.dhan.client import RATE_LIMITS
from broker.errors import (BrokerUnavailable, InsufficientFunds, InvalidOrder, NetworkError, RateLimited,
                           TokenExpired)
from broker.rate_limit import RateLimiter
from tests.brokers.dhan.conftest import MARKET_OPEN, make_plugin


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


class _CountingLimiter(RateLimiter):
    """The real limiter, also noting which endpoint-family budgets each call took."""

    def __init__(self) -> None:
        super().__init__("dhan", RATE_LIMITS)
        self.families: list[tuple[str, str]] = []

    def acquire_limit(self, family: str, limit: str, account: str = "") -> float:
        self.families.append((family, limit))
        return super().acquire_limit(family, limit, account)


def test_order_writes_and_reads_take_their_documented_family_budgets(dhan, session, instruments):
    limiter = _CountingLimiter()
    plugin = make_plugin(dhan)
    plugin.orders.client.http.rate_limiter = limiter
    plugin.orders.clock = lambda: MARKET_OPEN
    plugin.orders.place_order(session, _buy(instruments))
    assert limiter.families == [("order_api", "250/minute"), ("order_api", "1000/hour"), ("order_api", "7000/day")]
    limiter.families.clear()
    plugin.orders.order_book(session)
    plugin.data.quote(session, instruments[("NSE", "TCS")])
    assert limiter.families == [("non_trading", "20/second")]     # quotes have their own 1/s bucket only
    assert limiter.budgets["orders"].amount == 25 and limiter.budgets["quotes"].amount == 1


def test_the_per_minute_order_budget_is_never_exceeded(dhan, session, instruments):
    limiter = RateLimiter("dhan", RATE_LIMITS, max_wait=0.2)
    plugin = make_plugin(dhan)
    plugin.orders.client.http.rate_limiter = limiter
    plugin.orders.clock = lambda: MARKET_OPEN
    for _ in range(250):
        limiter.acquire_limit("order_api", "250/minute", session.broker_user_id)     # the minute's budget, spent
    with pytest.raises(RateLimited, match="order_api"):
        plugin.orders.place_order(session, _buy(instruments))
    assert not dhan.requests_to("/v2/orders", "POST")
