"""One real server for this package (`python app.py`, user, key and paper session made by the CLI, see
tests/api/server.py), and the public `openalgo` client pointed at it."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.api.server import USERNAME, prepared_server


@dataclass
class Running:
    url: str
    apikey: str
    username: str = USERNAME

    def client(self):  # noqa: ANN201
        from openalgo import api

        return api(api_key=self.apikey, host=self.url)


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory):
    prepared = prepared_server(tmp_path_factory.mktemp("api_data"))
    prepared.start()
    try:
        yield Running(prepared.host, prepared.key)
    finally:
        output = prepared.stop()
        assert "Traceback" not in output, output[-4000:]


@pytest.fixture(scope="package")
def client(server: Running):  # noqa: ANN201
    return server.client()
