"""Health of each part a load balancer, a monitor or a starting script cares about.

    database         up / down (a query runs)
    websocket_proxy  up (accepts connections) / down / disabled (WEBSOCKET_PROXY_ENABLED=false)
    scheduler        running / stopped / elsewhere (gunicorn workers: it runs in one process of its own,
                     `flask --app app strategy scheduler`, so it is not this process's to report)
    brokers          the broker plugins this process loaded, and the allowed ones that failed to load

The server is ready (HTTP 200) when the database answers and the proxy accepts connections (or is
disabled): a script that sees 200 can open the WebSocket at once. Until then /health answers 503 with
`status: "starting"` (proxy not listening yet) or `"error"` (database down). A stopped scheduler or a
broker plugin that failed to load leaves the server ready but reports `"degraded"`.
"""
from __future__ import annotations

from typing import Any

from flask import Flask

import database
from broker.registry import BrokerRegistry
from services import strategy_squareoff
from utils.config import Settings
from utils.net import port_open

def proxy_state(settings: Settings) -> dict[str, Any]:
    if not settings.WEBSOCKET_PROXY_ENABLED:
        return {"status": "disabled", "url": settings.websocket_url}
    up = port_open(settings.WEBSOCKET_HOST, settings.WEBSOCKET_PORT)
    return {"status": "up" if up else "down", "url": settings.websocket_url}


def brokers_state(registry: BrokerRegistry) -> dict[str, Any]:
    """Names only: a plugin's load failure can name settings or paths, which /health (no login) never shows."""
    allowed = [entry for entry in registry.list() if entry.allowed]
    failed = [entry.name for entry in allowed if not entry.available]
    return {"status": "degraded" if failed else "up",
            "loaded": [entry.name for entry in allowed if entry.available], "unavailable": failed}


def check(app: Flask, settings: Settings, registry: BrokerRegistry) -> tuple[dict[str, Any], bool]:
    """The report and whether the server is ready to serve REST and WebSocket clients."""
    db_state = database.ping()
    proxy = proxy_state(settings)
    scheduler = {"status": strategy_squareoff.state(app)}
    brokers = brokers_state(registry)
    if db_state["status"] != "up":
        status = "error"
    elif proxy["status"] == "down":
        status = "starting"
    elif scheduler["status"] == "stopped" or brokers["status"] != "up":
        status = "degraded"
    else:
        status = "ok"
    report = {"status": status, "database": db_state, "websocket_proxy": proxy, "scheduler": scheduler,
              "brokers": brokers}
    return report, status in ("ok", "degraded")
