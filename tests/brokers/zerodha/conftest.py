"""The Zerodha plugin wired to the fake Kite server (one per test), and a live broker session for it."""
from __future__ import annotations

from datetime import datetime
from typing import Iterator

import pytest

from broker.contract import BrokerPlugin, BrokerSession, Instrument
from broker.registry import BrokerRegistry
from broker.zerodha.mapping import IST
from tests.fakes.kite_server import API_KEY, API_SECRET, KiteServer

MARKET_OPEN = datetime(2025, 12, 30, 10, 0, tzinfo=IST)     # a Tuesday, mid-session


@pytest.fixture
def kite() -> Iterator[KiteServer]:
    with KiteServer() as server:
        yield server


@pytest.fixture
def plugin(kite: KiteServer) -> BrokerPlugin:
    """Loaded the way the server loads it: discovery, the shared HTTP set-up and rate limiter."""
    settings = {"ZERODHA_API_KEY": API_KEY, "ZERODHA_API_SECRET": API_SECRET, "ZERODHA_API_URL": kite.url,
                "ZERODHA_REDIRECT_URL": "http://127.0.0.1:5000/zerodha/callback"}
    registry = BrokerRegistry(settings, valid_brokers=["zerodha"])
    entry = registry.load("zerodha", "broker.zerodha")
    assert entry.available, entry.reason
    plugin = registry.get_connectable("zerodha")
    plugin.orders.clock = lambda: MARKET_OPEN
    return plugin


@pytest.fixture
def session(kite: KiteServer) -> BrokerSession:
    return BrokerSession(user_id=1, broker="zerodha", auth_token=kite.access_token)


SBIN = Instrument(symbol="SBIN", brsymbol="SBIN", name="STATE BANK OF INDIA", exchange="NSE", brexchange="NSE",
                  token="779521", instrumenttype="EQ")
INFY = Instrument(symbol="INFY", brsymbol="INFY", name="INFOSYS", exchange="NSE", brexchange="NSE",
                  token="408065", instrumenttype="EQ")
NIFTY_FUT = Instrument(symbol="NIFTY30DEC25FUT", brsymbol="NIFTY25DECFUT", name="NIFTY", exchange="NFO",
                       brexchange="NFO", token="13238786", instrumenttype="FUT", lotsize=75)
