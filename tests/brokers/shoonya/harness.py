"""Contract-suite hook for Shoonya: one fake Noren OMS (REST + WebSocket) per test process; "logging in"
is the callback Shoonya's OAuth page sends back (the code, exchanged at GenAcsTok)."""
from __future__ import annotations

from tests.fakes.noren import NorenFeedServer, NorenServer
from tests.fakes.noren.server import OAUTH_CODE

_SERVER = NorenServer().__enter__()      # lives as long as the test process
_FEED = NorenFeedServer(_SERVER)

SETTINGS = _SERVER.settings("shoonya")


def credentials() -> dict[str, str]:
    return {"code": OAUTH_CODE}
