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


class MasterContract:
    """The SymbolLookup the app gives a plugin, over the fake's symbol files."""

    def __init__(self, fake: NorenServer):
        from broker.noren.master_contract import read_rows, to_instrument
        from tests.fakes.noren.server import MASTER_EXCHANGES, symbol_text
        rows = [to_instrument(row) for exch in MASTER_EXCHANGES for row in read_rows(symbol_text(exch, fake.expiry))]
        self.rows = [row for row in rows if row is not None]

    def by_symbol(self, symbol, exchange):
        return next((i for i in self.rows if (i.symbol, i.exchange) == (symbol, exchange)), None)

    def by_brsymbol(self, brsymbol, brexchange):
        return next((i for i in self.rows if (i.brsymbol, i.brexchange) == (brsymbol, brexchange)), None)

    def by_token(self, token, exchange=None):
        return next((i for i in self.rows if i.token == token and exchange in (None, i.exchange)), None)


def load_plugin(fake: NorenServer, broker: str, **settings: str):
    from broker.registry import BrokerRegistry
    # no retries and a short read timeout, so each failure mode shows as the plugin sees it
    registry = BrokerRegistry({**fake.settings(broker), **settings}, valid_brokers=[broker],
                              symbols_for=lambda name: MasterContract(fake), http_timeout=(2.0, 0.5), http_retries=0)
    entry = registry.load(broker, f"broker.{broker}")
    assert entry.available, entry.reason
    return registry.get_connectable(broker)


@pytest.fixture(params=["shoonya", "flattrade"])
def plugin(request, noren):
    return load_plugin(noren, request.param)


@pytest.fixture
def shoonya(noren):
    return load_plugin(noren, "shoonya")


@pytest.fixture
def session(noren, plugin):
    from broker.contract import BrokerSession
    from tests.fakes.noren.server import USER_ID
    return BrokerSession(user_id=1, broker=plugin.name, auth_token=noren.open_session(), broker_user_id=USER_ID)


@pytest.fixture
def names(noren):
    return MasterContract(noren)
