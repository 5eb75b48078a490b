"""Health of the parts a load balancer or monitor cares about: the database and the WebSocket proxy."""
from __future__ import annotations

from typing import Any

import database
from utils.config import Settings
from utils.net import port_open


def check(settings: Settings) -> tuple[dict[str, Any], bool]:
    """Return the health report and whether the server can serve requests (the database is up).

    A proxy that is down degrades the report but does not fail it: REST keeps working without it.
    """
    db_state = database.ping()
    proxy_up = port_open(settings.WEBSOCKET_HOST, settings.WEBSOCKET_PORT)
    healthy = db_state["status"] == "up"
    report = {
        "status": ("ok" if proxy_up else "degraded") if healthy else "error",
        "database": db_state,
        "websocket_proxy": {"status": "up" if proxy_up else "down", "url": settings.websocket_url},
    }
    return report, healthy
