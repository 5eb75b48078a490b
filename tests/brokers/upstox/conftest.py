"""The Upstox plugin wired to the fake Upstox (one per test), and a live broker session for it."""
from __future__ import annotations

from datetime import datetime
from typing import Iterator

import pytest

from broker.contract import BrokerPlugin, BrokerSession, Instrument
from broker.registry import BrokerRegistry
from broker.upstox.mapping import IST
from tests.fakes.upstox import CLIENT_ID, CLIENT_SECRET, UpstoxServer

MARKET_OPEN = datetime(2025, 12, 30, 10, 0, tzinfo=IST)     # a Tuesday, mid-session
REDIRECT_URL = "http://127.0.0.1:5000/upstox/callback"


@pytest.fixture
def upstox() -> Iterator[UpstoxServer]:
    with UpstoxServer() as server:
        yield server


def plugin_settings(server: UpstoxServer) -> dict[str, str]:
    return {"UPSTOX_API_KEY": CLIENT_ID, "UPSTOX_API_SECRET": CLIENT_SECRET, "UPSTOX_REDIRECT_URL": REDIRECT_URL,
            "UPSTOX_API_URL": server.url, "UPSTOX_ORDER_URL": server.url,
            "UPSTOX_INSTRUMENTS_URL": server.instruments_url}


@pytest.fixture
def plugin(upstox: UpstoxServer) -> BrokerPlugin:
    """Loaded the way the server loads it: discovery, the shared HTTP set-up and rate limiter."""
    registry = BrokerRegistry(plugin_settings(upstox), valid_brokers=["upstox"])
    entry = registry.load("upstox", "broker.upstox")
    assert entry.available, entry.reason
    plugin = registry.get_connectable("upstox")
    plugin.orders.clock = lambda: MARKET_OPEN
    return plugin


@pytest.fixture
def session(upstox: UpstoxServer) -> BrokerSession:
    return BrokerSession(user_id=1, broker="upstox", auth_token=upstox.access_token)


SBIN = Instrument(symbol="SBIN", brsymbol="SBIN", name="STATE BANK OF INDIA", exchange="NSE", brexchange="NSE_EQ",
                  token="NSE_EQ|INE062A01020", instrumenttype="EQ")
RELIANCE = Instrument(symbol="RELIANCE", brsymbol="RELIANCE", name="RELIANCE INDUSTRIES LTD", exchange="NSE",
                      brexchange="NSE_EQ", token="NSE_EQ|INE002A01018", instrumenttype="EQ")
NIFTY = Instrument(symbol="NIFTY", brsymbol="NIFTY", name="Nifty 50", exchange="NSE_INDEX", brexchange="NSE_INDEX",
                   token="NSE_INDEX|Nifty 50", instrumenttype="INDEX")
NIFTY_CE = Instrument(symbol="NIFTY26DEC2424000CE", brsymbol="NIFTY 24000 CE 26 DEC 24", name="NIFTY",
                      exchange="NFO", brexchange="NSE_FO", token="NSE_FO|54524", instrumenttype="CE", lotsize=25,
                      freeze_qty=1800)
