"""Fake Noren OMS endpoints (Shoonya, Flattrade): the REST API (server.py) and the one JSON WebSocket
for market data and order updates (feed.py). Start both with `python -m tests.fakes.noren --port N`."""
from tests.fakes.noren.feed import NorenFeedServer
from tests.fakes.noren.server import NorenServer

__all__ = ["NorenFeedServer", "NorenServer"]
