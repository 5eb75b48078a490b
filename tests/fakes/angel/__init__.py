"""Fake Angel One SmartAPI servers for tests: REST (rest.py), SmartStream 2.0 and the order-status
WebSocket (stream.py), fed from tests/fixtures/angel/. `python -m tests.fakes.angel --port N` runs all
three (REST on N, SmartStream on N+1, order status on N+2) until interrupted."""
from tests.fakes.angel.data import API_KEY, CLIENT_CODE, PIN, TOTP_SECRET
from tests.fakes.angel.rest import AngelServer
from tests.fakes.angel.stream import OrderStatusServer, SmartStreamServer

__all__ = ["API_KEY", "CLIENT_CODE", "PIN", "TOTP_SECRET", "AngelServer", "OrderStatusServer", "SmartStreamServer"]
