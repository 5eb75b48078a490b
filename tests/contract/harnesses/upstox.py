"""Contract-suite harness for Upstox: the app points at one fake Upstox (REST, feeds, instrument file) per
test process, and "logging in" sends the authorization code Upstox puts on the callback URL."""
from __future__ import annotations

from tests.fakes.upstox import AUTH_CODE, CLIENT_ID, CLIENT_SECRET, UpstoxServer

_SERVER = UpstoxServer().__enter__()   # lives as long as the test process
_SERVER.live_positions = True

SETTINGS = {
    "UPSTOX_API_KEY": CLIENT_ID,
    "UPSTOX_API_SECRET": CLIENT_SECRET,
    "UPSTOX_REDIRECT_URL": "http://127.0.0.1:5000/upstox/callback",
    "UPSTOX_API_URL": _SERVER.url,
    "UPSTOX_ORDER_URL": _SERVER.url,
    "UPSTOX_INSTRUMENTS_URL": _SERVER.instruments_url,
}


def credentials() -> dict[str, str]:
    return {"code": AUTH_CODE}
