"""Fake DhanHQ v2 endpoints for tests: REST (server.py), the binary live market feed (feed.py) and the
JSON order-update stream (order_updates.py). Start all three with `python -m tests.fakes.dhan --port N`."""
from tests.fakes.dhan.feed import DhanFeedServer
from tests.fakes.dhan.order_updates import OrderUpdateServer
from tests.fakes.dhan.server import ACCESS_TOKEN, CLIENT_ID, DhanServer

__all__ = ["ACCESS_TOKEN", "CLIENT_ID", "DhanFeedServer", "DhanServer", "OrderUpdateServer"]
