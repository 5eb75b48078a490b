"""The fake Dhan endpoints (one set per test) and the recorded payloads."""
from __future__ import annotations

from datetime import datetime
from typing import Iterator

import pytest

from broker.contract import BrokerPlugin, BrokerSession, Instrument, PluginConfig
from broker.dhan.plugin import create_plugin
from broker.dhan.mapping import IST
from broker.dhan.master_contract import parse_scrip_master
from broker.http import BrokerHttp, make_session
from tests.fakes.dhan import DhanFeedServer, DhanServer, OrderUpdateServer
from tests.fakes.dhan.fixtures import FIXTURES


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


MARKET_OPEN = datetime(2025, 12, 30, 10, 0, tzinfo=IST)      # a Tuesday, mid-session
MARKET_CLOSED = datetime(2025, 12, 30, 18, 0, tzinfo=IST)


def make_plugin(dhan: DhanServer, **settings: str) -> BrokerPlugin:
    """The plugin as create_plugin builds it, pointed at the fake (settings as the app would pass them)."""
    config = PluginConfig(settings={"DHAN_API_URL": dhan.url, "DHAN_SCRIP_MASTER_URL": dhan.scrip_master_url,
                                    "DHAN_AUTH_URL": dhan.root, **settings},
                          http=BrokerHttp("dhan", session=make_session(retries=1, backoff=0.01), timeout=(2.0, 2.0)))
    return create_plugin(config)


@pytest.fixture
def plugin(dhan: DhanServer) -> BrokerPlugin:
    built = make_plugin(dhan)
    built.orders.clock = lambda: MARKET_OPEN
    return built


@pytest.fixture
def session(dhan: DhanServer) -> BrokerSession:
    return BrokerSession(user_id=1, broker="dhan", auth_token=dhan.access_token, broker_user_id=dhan.client_id)


@pytest.fixture(scope="session")
def instruments() -> dict[tuple[str, str], Instrument]:
    rows = parse_scrip_master((FIXTURES / "scrip_master.csv").read_text())
    return {(row.exchange, row.symbol): row for row in rows}
