"""The fake Noren OMS (REST + WebSocket) for the tests of the Noren family (Shoonya, Flattrade)."""
from __future__ import annotations

import pytest

from tests.fakes.noren import NorenFeedServer, NorenServer


@pytest.fixture
def noren():
    with NorenServer() as rest:
        feed = NorenFeedServer(rest)
        try:
            yield rest
        finally:
            feed.close()
