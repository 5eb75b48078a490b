"""Schemathesis fuzzes every operation of /api/v1/swagger.json against a running server: no 5xx.

Bodies are generated from the Swagger models (valid and invalid ones); half of them carry the user's real
API key so the fuzzing reaches the services and the paper broker, not only the key check.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from tests.api.server import Server, prepared_server

pytestmark = pytest.mark.xdist_group("servers")


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory) -> Server:
    srv = prepared_server(tmp_path_factory.mktemp("fuzz"),
                          INVALID_APIKEY_RATE_LIMIT="'100000 per minute'")
    srv.start()
    yield srv
    srv.stop()


def test_no_server_errors(fuzz_server: Server):
    api_schema = schemathesis.openapi.from_url(f"{fuzz_server.host}/api/v1/swagger.json")
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 18
    for operation in operations:
        _fuzz(operation, fuzz_server)


def _fuzz(operation, server: Server) -> None:
    @given(operation.as_strategy())
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              database=None, phases=[Phase.explicit, Phase.generate])  # no shrinking: bounded time
    def check(case) -> None:
        if isinstance(case.body, dict) and len(repr(case.body)) % 2 == 0:
            case.body["apikey"] = server.key
        response = case.call(base_url=f"{server.host}/api/v1")
        assert response.status_code < 500, (case.method, case.path, case.body, response.text)
        assert response.headers.get("content-type", [""])[0].startswith("application/json"), response.text
    check()
