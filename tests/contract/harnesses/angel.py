"""Contract-suite harness for Angel One: the app points at one fake SmartAPI server (REST and the scrip
master) per test process, and "logging in" sends the client code, PIN and the TOTP code of that moment."""
from __future__ import annotations

from tests.fakes.angel import API_KEY, CLIENT_CODE, PIN, AngelServer

# a fresh account (no recorded fills): outside market hours orders go in as AMO and never fill, so a
# recorded intraday position could not be flattened at night
_SERVER = AngelServer(recorded_orders=False).__enter__()   # lives as long as the test process

SETTINGS = {
    "ANGEL_API_KEY": API_KEY,
    "ANGEL_API_URL": _SERVER.url,
    "ANGEL_MASTER_URL": _SERVER.master_url,
}


def credentials() -> dict[str, str]:
    return {"client_code": CLIENT_CODE, "pin": PIN, "totp": _SERVER.totp()}
