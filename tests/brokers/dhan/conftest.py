"""The fake Dhan endpoints (one set per test) and the recorded payloads."""
from __future__ import annotations

from typing import Iterator

import pytest

from tests.fakes.dhan import DhanFeedServer, DhanServer, OrderUpdateServer


@pytest.fixture
def dhan() -> Iterator[DhanServer]:
    with DhanServer() as server:
        yield server


@pytest.fixture
def dhan_feed() -> Iterator[DhanFeedServer]:
    server = DhanFeedServer()
    yield server
    server.close()


@pytest.fixture
def order_updates(dhan: DhanServer) -> Iterator[OrderUpdateServer]:
    server = OrderUpdateServer()
    dhan.order_updates = server
    yield server
    dhan.order_updates = None
    server.close()
