"""Small network helpers shared by the health check, the launcher and tests."""
from __future__ import annotations

import socket

_WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


def reachable_host(bind_host: str) -> str:
    """The address to connect to for a server bound to `bind_host` (wildcards mean this machine)."""
    return _WILDCARDS.get(bind_host, bind_host)


def port_open(host: str, port: int, timeout: float = 0.25) -> bool:
    try:
        with socket.create_connection((reachable_host(host), port), timeout=timeout):
            return True
    except OSError:
        return False
