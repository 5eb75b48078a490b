"""Contract-suite harness for Dhan: the app points at one fake DhanHQ v2 server per test process, and
"logging in" types the client id and access token into the login form."""
from __future__ import annotations

from tests.fakes.dhan import ACCESS_TOKEN, CLIENT_ID, DhanServer

_SERVER = DhanServer(live_positions=True).__enter__()   # lives as long as the test process

SETTINGS = {
    "DHAN_API_URL": _SERVER.url,
    "DHAN_SCRIP_MASTER_URL": _SERVER.scrip_master_url,
}


def credentials() -> dict[str, str]:
    return {"client_id": CLIENT_ID, "access_token": ACCESS_TOKEN}
