"""Property-based fuzzing of this issue's endpoints from the server's own OpenAPI document: whatever
schemathesis sends (with a valid API key, so requests get past authentication), no answer is a 5xx."""
from __future__ import annotations

import pytest

import schemathesis
from hypothesis import HealthCheck, given, settings

pytestmark = pytest.mark.xdist_group("api_data")  # one server for the package, on one worker


ENDPOINTS = ("quotes", "multiquotes", "depth", "history", "intervals", "symbol", "search", "expiry", "instruments",
             "optionsymbol", "optionchain", "optiongreeks", "syntheticfuture", "margin", "market/holidays",
             "market/timings", "telegram/notify", "optionsorder", "optionsmultiorder", "ticker/{pair}")


def _fuzz(operation, server) -> None:  # noqa: ANN001
    @given(case=operation.as_strategy())
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case) -> None:  # noqa: ANN001
        if isinstance(case.body, dict):
            case.body["apikey"] = server.apikey
        if case.method == "GET":
            case.query = {**(case.query or {}), "apikey": server.apikey}
        response = case.call(base_url=f"{server.url}/api/v1", timeout=30)
        assert response.status_code < 500, f"{case.method} {case.path} {case.body or case.query} -> {response.text}"

    run()


def test_no_server_errors(server):
    schema = schemathesis.openapi.from_url(f"{server.url}/api/v1/swagger.json")
    operations = [result.ok() for result in schema.include(path_regex=rf"^/({'|'.join(ENDPOINTS)})$")
                  .get_all_operations()]
    assert len(operations) == len(ENDPOINTS)
    for operation in operations:
        _fuzz(operation, server)
