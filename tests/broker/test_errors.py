"""The unified error tree: what is retried, which HTTP status services answer with, the error table."""
from __future__ import annotations

import pytest

from broker.errors import (AuthError, BrokerError, BrokerUnavailable, ErrorTable, InsufficientFunds, InvalidOrder,
                           NetworkError, NotSupported, OrderNotFound, OrderRejected, RateLimited, TokenExpired,
                           TransientError, UnknownSymbol)


@pytest.mark.parametrize(("kind", "status", "retryable"), [
    (BrokerError, 500, False), (AuthError, 403, False), (TokenExpired, 403, False), (OrderRejected, 400, False),
    (InsufficientFunds, 400, False), (InvalidOrder, 400, False), (OrderNotFound, 404, False),
    (UnknownSymbol, 400, False), (NotSupported, 501, False), (NetworkError, 500, True),
    (RateLimited, 429, True), (BrokerUnavailable, 500, True),
])
def test_each_error_has_its_status_and_only_transient_ones_are_retried(kind, status, retryable):
    error = kind("what the user reads", broker="fake", raw={"x": 1})
    assert isinstance(error, BrokerError) and str(error) == "what the user reads"
    assert error.http_status == status and error.retryable is retryable
    assert isinstance(error, TransientError) is retryable


def test_error_table_prefers_code_then_message_then_http_status():
    table = ErrorTable("demo", codes={"AB1004": InsufficientFunds},
                       messages=[(r"tick size", InvalidOrder), (r"token.*(invalid|expired)", TokenExpired)])
    assert type(table.error(code="AB1004", message="tick size wrong")) is InsufficientFunds
    assert type(table.error(message="Price is not a multiple of Tick Size")) is InvalidOrder
    assert type(table.error(message="Token is invalid or has expired", http_status=400)) is TokenExpired
    assert type(table.error(message="slow down", http_status=429)) is RateLimited
    assert type(table.error(message="boom", http_status=503)) is BrokerUnavailable
    assert type(table.error(message="?", http_status=404)) is OrderNotFound
    assert type(table.error(message="odd")) is BrokerError
    error = table.error(code="X9", raw={"code": "X9"})
    assert error.code == "X9" and error.raw == {"code": "X9"} and "demo" in error.message


def test_rate_limited_carries_retry_after():
    assert RateLimited("wait", retry_after=2.5).retry_after == 2.5


def test_services_answer_broker_errors_in_the_envelope_with_their_status(app):
    from utils.responses import domain_error_response

    with app.test_request_context("/api/v1/placeorder"):
        response = domain_error_response(InsufficientFunds("Insufficient funds: need 5000.00, have 10.00"))
        assert response.status_code == 400
        assert response.get_json() == {"status": "error", "message": "Insufficient funds: need 5000.00, have 10.00"}
        throttled = domain_error_response(RateLimited("broker is throttling", retry_after=0.2))
        assert throttled.status_code == 429 and throttled.get_json()["retry_after"] == 1
        assert domain_error_response(NotSupported("margin is not supported by Paper")).status_code == 501
