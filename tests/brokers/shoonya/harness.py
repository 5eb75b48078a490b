"""Contract-suite hook for Shoonya: one fake Noren OMS (REST + WebSocket) per test process; "logging in"
types the user id, password and TOTP into the login form."""
from __future__ import annotations

from tests.fakes.noren import NorenFeedServer, NorenServer
from tests.fakes.noren.server import PASSWORD, TOTP, USER_ID

_SERVER = NorenServer().__enter__()      # lives as long as the test process
_FEED = NorenFeedServer(_SERVER)

SETTINGS = _SERVER.settings("shoonya")


def credentials() -> dict[str, str]:
    return {"user_id": USER_ID, "password": PASSWORD, "totp": TOTP}
