"""Fixtures of the template broker's tests: its fake server and the plugin loaded the way the server
loads it (the registry: only its own settings, the shared HTTP client, its rate limiter)."""
from __future__ import annotations

from typing import Iterator

import pytest

from broker._template.master_contract import to_instrument
from broker.contract import BrokerPlugin, BrokerSession, Instrument
from broker.registry import BrokerRegistry
from tests.brokers._template.fake import TemplateServer

MODULE = "broker._template"


@pytest.fixture
def fake() -> Iterator[TemplateServer]:
    with TemplateServer() as server:
        yield server


class MasterContract:
    """The SymbolLookup the app gives a plugin (services/instrument_cache.py), over the fake's instruments."""

    def __init__(self, fake: TemplateServer):
        rows = [to_instrument(row) for row in fake.instruments.values()]
        self.rows = [row for row in rows if row is not None]

    def by_symbol(self, symbol: str, exchange: str) -> Instrument | None:
        return next((i for i in self.rows if (i.symbol, i.exchange) == (symbol, exchange)), None)

    def by_brsymbol(self, brsymbol: str, brexchange: str) -> Instrument | None:
        return next((i for i in self.rows if (i.brsymbol, i.brexchange) == (brsymbol, brexchange)), None)

    def by_token(self, token: str, exchange: str | None = None) -> Instrument | None:
        return next((i for i in self.rows if i.token == token and exchange in (None, i.exchange)), None)


def load_plugin(fake: TemplateServer, **settings: str) -> BrokerPlugin:
    # no retries and a short read timeout, so each failure mode shows as the plugin sees it
    registry = BrokerRegistry({**fake.settings(), **settings}, valid_brokers=["template"],
                              symbols_for=lambda name: MasterContract(fake), http_timeout=(2.0, 0.5), http_retries=0)
    entry = registry.load("template", MODULE)
    assert entry.available, entry.reason
    return registry.get_connectable("template")


@pytest.fixture
def plugin(fake: TemplateServer) -> BrokerPlugin:
    return load_plugin(fake)


@pytest.fixture
def session(fake: TemplateServer) -> BrokerSession:
    return BrokerSession(user_id=1, broker="template", auth_token=fake.access_token)
