"""Schemathesis fuzzes every operation of /api/v1/swagger.json against a running server: no 5xx.

Bodies are generated from the Swagger models (valid and invalid ones); half of them carry the user's real
API key so the fuzzing reaches the services and the paper broker, not only the key check. Two passes on
every run (issue 17.5): a fixed seed (the same cases every run) and a rotating one (a new seed per UTC day,
or FUZZ_SEED=<n> to replay one; a failure names its seed). Each is bounded by MAX_EXAMPLES per operation
and no shrinking. What the fuzzer found is kept as regression tests in tests/api/test_bad_input.py.
"""
from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings

from tests.api.server import Server, prepared_server

pytestmark = pytest.mark.xdist_group("servers")


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory) -> Server:
    srv = prepared_server(tmp_path_factory.mktemp("fuzz"),
                          INVALID_APIKEY_RATE_LIMIT="'100000 per minute'")
    srv.start()
    yield srv
    srv.stop()


FIXED_SEED = 17
MAX_EXAMPLES = 25


def rotating_seed() -> int:
    return int(os.environ.get("FUZZ_SEED") or datetime.now(timezone.utc).strftime("%Y%m%d"))


@pytest.mark.parametrize("pass_seed", [FIXED_SEED, rotating_seed()], ids=["fixed-seed", "rotating-seed"])
def test_no_server_errors(fuzz_server: Server, pass_seed: int):
    api_schema = schemathesis.openapi.from_url(f"{fuzz_server.host}/api/v1/swagger.json")
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 18
    for operation in operations:
        _fuzz(operation, fuzz_server, pass_seed)


def _fuzz(operation, server: Server, pass_seed: int) -> None:
    @seed(pass_seed)
    @given(operation.as_strategy())
    @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None,
              phases=[Phase.explicit, Phase.generate])  # no shrinking: bounded time
    def check(case) -> None:
        if isinstance(case.body, dict) and len(repr(case.body)) % 2 == 0:
            case.body["apikey"] = server.key
        response = case.call(base_url=f"{server.host}/api/v1")
        reproduce = f"(FUZZ_SEED={pass_seed})"
        assert response.status_code < 500, (reproduce, case.method, case.path, case.body, response.text)
        assert response.headers.get("content-type", [""])[0].startswith("application/json"), (reproduce, response.text)
    check()
