"""The fake Noren OMS (REST + WebSocket) for the tests of the Noren family (Shoonya, Flattrade)."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

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
    # what each login stores: Shoonya's GenAcsTok gives a Bearer access token and the feed's susertoken,
    # Flattrade's one token serves both
    feed_token = noren.open_session()
    token = noren.access_token if plugin.name == "shoonya" else feed_token
    return BrokerSession(user_id=1, broker=plugin.name, auth_token=token, feed_token=feed_token,
                         broker_user_id=USER_ID)


def presented(noren, call) -> bool:
    """The call carried the live session the way its broker does: Bearer (Shoonya) or jKey (Flattrade)."""
    if call.path.startswith("/NorenWClientAPI/"):
        return call.bearer == noren.access_token and call.jkey is None and "jKey" not in call.raw
    return call.jkey == noren.session_token and call.bearer is None


@pytest.fixture
def names(noren):
    return MasterContract(noren)


@dataclass
class NorenApp:
    """`python app.py` on the fake Noren OMS (tests/support/acceptance.py's BrokerApp) and the fakes."""
    app: object
    noren: NorenServer
    feed: NorenFeedServer


@contextmanager
def running_noren_app(tmp: Path, broker: str, login: Callable[[], dict[str, str]]) -> Iterator[NorenApp]:
    """The acceptance set-up of a Noren broker: the fakes, the app with the broker's settings pointed at
    them, its user connected with `login` (the query its callback receives)."""
    from tests.support.acceptance import running_app
    with NorenServer() as noren:
        feed = NorenFeedServer(noren, interval=0.1)
        settings = {name: f"'{value}'" for name, value in noren.settings(broker).items()}
        try:
            with running_app(tmp, broker, login, **settings) as app:
                yield NorenApp(app, noren, feed)
        finally:
            feed.close()
