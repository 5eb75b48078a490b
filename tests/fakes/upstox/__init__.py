"""The fake Upstox: REST (server.py) and its two WebSockets (feed.py); start it alone with
`python -m tests.fakes.upstox --port N` (REST on N, market-data feed on N+1, portfolio feed on N+2)."""
from tests.fakes.upstox.server import AUTH_CODE, CLIENT_ID, CLIENT_SECRET, UpstoxServer

__all__ = ["AUTH_CODE", "CLIENT_ID", "CLIENT_SECRET", "UpstoxServer"]
