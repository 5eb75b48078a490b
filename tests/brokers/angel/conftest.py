"""The Angel One plugin wired to the fake SmartAPI server (one per test), and a live session for it."""
from __future__ import annotations

from datetime import datetime
from typing import Iterator

import pytest

from broker.angel.mapping import IST
from broker.contract import BrokerPlugin, BrokerSession, Instrument
from broker.registry import BrokerRegistry
from tests.fakes.angel import API_KEY, CLIENT_CODE, PIN, AngelServer

MARKET_OPEN = datetime(2025, 12, 30, 10, 0, tzinfo=IST)       # a Tuesday, mid-session
AFTER_CLOSE = datetime(2025, 12, 30, 18, 0, tzinfo=IST)


@pytest.fixture
def angel() -> Iterator[AngelServer]:
    with AngelServer() as server:
        yield server


def settings_for(angel: AngelServer) -> dict[str, str]:
    return {"ANGEL_API_KEY": API_KEY, "ANGEL_API_URL": angel.url, "ANGEL_MASTER_URL": angel.master_url}


@pytest.fixture
def plugin(angel: AngelServer) -> BrokerPlugin:
    """Loaded the way the server loads it: discovery, the shared HTTP set-up and rate limiter."""
    registry = BrokerRegistry(settings_for(angel), valid_brokers=["angel"])
    entry = registry.load("angel", "broker.angel")
    assert entry.available, entry.reason
    plugin = registry.get_connectable("angel")
    plugin.orders.clock = lambda: MARKET_OPEN
    return plugin


def login(plugin: BrokerPlugin, angel: AngelServer) -> BrokerSession:
    result = plugin.auth.authenticate({"client_code": CLIENT_CODE, "pin": PIN, "totp": angel.totp()})
    return BrokerSession(user_id=1, broker="angel", auth_token=result.auth_token, feed_token=result.feed_token,
                         broker_user_id=result.broker_user_id, extra=dict(result.extra))


@pytest.fixture
def session(plugin: BrokerPlugin, angel: AngelServer) -> BrokerSession:
    return login(plugin, angel)


SBIN = Instrument(symbol="SBIN", brsymbol="SBIN-EQ", name="SBIN", exchange="NSE", brexchange="NSE", token="3045",
                  instrumenttype="EQ")
TCS = Instrument(symbol="TCS", brsymbol="TCS-EQ", name="TCS", exchange="NSE", brexchange="NSE", token="11536",
                 instrumenttype="EQ")
NIFTY_FUT = Instrument(symbol="NIFTY26DEC24FUT", brsymbol="NIFTY26DEC24FUT", name="NIFTY", exchange="NFO",
                       brexchange="NFO", token="35014", instrumenttype="FUT", lotsize=25)
NIFTY_INDEX = Instrument(symbol="NIFTY", brsymbol="Nifty 50", name="NIFTY", exchange="NSE_INDEX", brexchange="NSE",
                         token="99926000", instrumenttype="INDEX")
