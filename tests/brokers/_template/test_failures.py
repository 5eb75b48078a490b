"""Every way the broker fails reaches the caller as the unified error a user can act on: an expired
token (403, reconnect), throttling (429), the broker down (5xx), a body that is not JSON and an answer
too slow to wait for (both retryable), and business refusals from the error table."""
from __future__ import annotations

import pytest

from broker.contract import Instrument, OrderRequest
from broker.errors import (BrokerUnavailable, InsufficientFunds, InvalidOrder, NetworkError, OrderNotFound, RateLimited,
                           TokenExpired, UnknownSymbol)

SBIN = Instrument(symbol="SBIN", brsymbol="SBIN-EQ", name="", exchange="NSE", brexchange="NSE", token="1001")


def test_an_expired_token_is_token_expired(plugin, fake, session):
    fake.expire_token()
    with pytest.raises(TokenExpired) as raised:
        plugin.funds.funds(session)
    assert raised.value.http_status == 403 and raised.value.code == "TOKEN_EXPIRED"


@pytest.mark.parametrize(("status", "error"), [(429, RateLimited), (500, BrokerUnavailable), (503, BrokerUnavailable)])
def test_throttling_and_outages_are_retryable_errors(plugin, fake, session, status, error):
    fake.fail_next(status, "RATE_LIMIT" if status == 429 else "SERVER_ERROR", "try later")
    with pytest.raises(error) as raised:
        plugin.orders.order_book(session)
    assert raised.value.retryable


def test_a_body_that_is_not_json_is_the_broker_failing(plugin, fake, session):
    fake.malformed_next()
    with pytest.raises(BrokerUnavailable, match="not JSON"):
        plugin.orders.positions(session)


def test_a_slow_answer_times_out_as_a_network_error(plugin, fake, session):
    fake.slow_next(1.5)   # the plugin's read timeout is 0.5 s here
    with pytest.raises(NetworkError):
        plugin.funds.funds(session)


def test_business_refusals_come_from_the_error_table(plugin, fake, session):
    with pytest.raises(InvalidOrder):
        plugin.orders.place_order(session, OrderRequest(instrument=SBIN, action="BUY", quantity=0))
    with pytest.raises(InsufficientFunds):
        plugin.orders.place_order(session, OrderRequest(instrument=SBIN, action="BUY", quantity=10_000_000))
    with pytest.raises(OrderNotFound):
        plugin.orders.cancel_order(session, "TB-NOPE")
    ghost = Instrument(symbol="GHOST", brsymbol="GHOST", name="", exchange="NSE", brexchange="NSE", token="404")
    with pytest.raises(UnknownSymbol):
        plugin.data.quote(session, ghost)
