"""The domain error hierarchy and its one HTTP mapping: what every caller of a service gets when it fails."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from flask import Flask

from blueprints.errors import handle_domain_error
from broker.errors import BrokerError, InsufficientFunds, NotSupported, OrderNotFound, RateLimited, TokenExpired
from utils.errors import (ClientError, Conflict, DomainError, Forbidden, InvalidInput, NotFound, ServiceFailure,
                          TooManyRequests, Unauthenticated)
from utils.responses import domain_error_response, error_body, error_envelope

SERVICES = Path(__file__).resolve().parents[2] / "services"


@pytest.mark.parametrize("error, status", [
    (InvalidInput("quantity must be greater than 0"), 400),
    (Unauthenticated("Invalid or missing API key"), 401),
    (Forbidden("The current password is wrong."), 403),
    (NotFound("No strategy 7 of yours"), 404),
    (Conflict("symbol SBIN is already mapped"), 409),
    (TooManyRequests("slow down", retry_after=3), 429),
    (ServiceFailure("Failed to place order due to internal error"), 500),
    (InsufficientFunds("Insufficient funds"), 400),
    (TokenExpired("token rejected"), 403),
    (OrderNotFound("no such order"), 404),
    (NotSupported("margin is not supported by demo"), 501),
    (BrokerError("the broker said no"), 500),
])
def test_each_error_answers_its_documented_status_in_the_envelope(error: DomainError, status: int):
    body, answered = error_envelope(error)
    assert answered == status
    assert body["status"] == "error" and body["message"] == error.message


def test_the_broker_tree_is_the_broker_branch_of_the_one_hierarchy():
    assert issubclass(BrokerError, DomainError) and not issubclass(BrokerError, ClientError)
    assert all(issubclass(kind, ClientError) for kind in (InvalidInput, NotFound, Forbidden, Conflict, TooManyRequests))


def test_a_field_is_named_in_errors_and_contract_keys_ride_along():
    error = InvalidInput("NSE:NOPE is not a known symbol", field="symbols", invalid_symbols=[{"symbol": "NOPE"}])
    assert error_body(error) == {"status": "error", "message": "NSE:NOPE is not a known symbol",
                                 "errors": {"symbols": ["NSE:NOPE is not a known symbol"]},
                                 "invalid_symbols": [{"symbol": "NOPE"}]}
    schema = InvalidInput("{'quantity': ['Missing data']}", errors={"quantity": ["Missing data"]}, field="quantity")
    assert error_body(schema)["errors"] == {"quantity": ["Missing data"]}   # explicit errors win


def test_retry_after_is_whole_seconds_in_body_and_header(app: Flask):
    with app.test_request_context("/strategy/webhook/x"):
        response = domain_error_response(TooManyRequests("Rate limit exceeded.", retry_after=4), error="Rate limit exceeded.")
        assert response.status_code == 429 and response.headers["Retry-After"] == "4"
        # the webhook contract's key order: status, message, error, retry_after
        assert list(response.get_json()) == ["status", "message", "error", "retry_after"]
        broker = domain_error_response(RateLimited("broker throttling", retry_after=0.2))
        assert broker.get_json()["retry_after"] == 1 and broker.headers["Retry-After"] == "1"


def test_reworded_keeps_the_kind_and_status_of_the_cause():
    cause = NotFound("Symbol X not found", field="symbol")
    again = cause.reworded("Failed to fetch LTP for X. Symbol X not found")
    assert type(again) is NotFound and again.field == "symbol" and str(again).startswith("Failed to fetch LTP")
    assert cause.message == "Symbol X not found"


def test_an_unhandled_domain_error_is_json_for_the_api_and_a_page_for_the_browser(app: Flask):
    @app.get("/api/v1/_raises")
    def api_raises():
        raise Conflict("a strategy named x exists")

    api = app.test_client().get("/api/v1/_raises")
    assert api.status_code == 409 and api.get_json() == {"status": "error", "message": "a strategy named x exists"}
    with app.test_request_context("/strategies/9"):   # a page (the app's handler; pages need a login first)
        page = app.make_response(handle_domain_error(NotFound("No strategy 9 of yours")))
    assert page.status_code == 404 and page.mimetype == "text/html" and b"No strategy 9 of yours" in page.data


def _status_pairs(tree: ast.AST) -> list[int]:
    """Line numbers of `return <something>, <HTTP status literal>` — the shape services no longer use."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple) and len(node.value.elts) == 2:
            last = node.value.elts[1]
            if isinstance(last, ast.Constant) and isinstance(last.value, int) and 200 <= last.value <= 599:
                found.append(node.lineno)
    return found


def test_services_return_results_not_body_and_status_pairs():
    offenders = {path.name: lines for path in sorted(SERVICES.glob("*.py"))
                 if (lines := _status_pairs(ast.parse(path.read_text())))}
    assert offenders == {}


def test_a_page_route_answers_its_domain_errors_as_json(client):
    unknown = client.post("/postback/nosuchbroker", json={})
    assert unknown.status_code == 404 and unknown.get_json()["message"] == "Unknown broker 'nosuchbroker'"
    not_json = client.post("/postback/zerodha", data=b"[1, 2]", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400
    assert not_json.get_json()["errors"] == {"body": ["The postback body must be a JSON object"]}
