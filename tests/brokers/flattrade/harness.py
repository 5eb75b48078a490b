"""Contract-suite hook for Flattrade: one fake Noren OMS (REST + WebSocket) per test process; "logging
in" is the callback Flattrade's login page sends back (the request code and the client id)."""
from __future__ import annotations

from tests.fakes.noren import NorenFeedServer, NorenServer
from tests.fakes.noren.server import REQUEST_CODE, USER_ID

_SERVER = NorenServer().__enter__()      # lives as long as the test process
_FEED = NorenFeedServer(_SERVER)

SETTINGS = _SERVER.settings("flattrade")


def credentials() -> dict[str, str]:
    return {"code": REQUEST_CODE, "client": USER_ID}
