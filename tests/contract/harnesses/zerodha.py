"""Contract-suite harness for Zerodha: the app points at one fake Kite server (REST) per test process,
and "logging in" sends the request token Kite would put on the callback URL."""
from __future__ import annotations

from tests.fakes.kite_server import API_KEY, API_SECRET, REQUEST_TOKEN, KiteServer

_SERVER = KiteServer(live_positions=True).__enter__()   # lives as long as the test process

SETTINGS = {
    "ZERODHA_API_KEY": API_KEY,
    "ZERODHA_API_SECRET": API_SECRET,
    "ZERODHA_REDIRECT_URL": "http://127.0.0.1:5000/zerodha/callback",
    "ZERODHA_API_URL": _SERVER.url,
}


def credentials() -> dict[str, str]:
    return {"request_token": REQUEST_TOKEN, "action": "login", "status": "success"}
