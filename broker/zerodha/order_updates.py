"""Zerodha order updates: the ticker's order messages (the plugin's push order feed) and postbacks.

Kite reports every change of a user's order twice (Kite Connect v3, "Postbacks and WebSocket order
updates"): as a text message `{"type": "order", "data": {...}}` on each of the user's ticker WebSocket
connections, and as an HTTP POST of the same payload to the app's registered postback URL, signed with
`checksum = SHA-256(order_id + order_timestamp + api_secret)`. The payload has the order-book row's
fields, so both become OrderEvents through ZerodhaOrders.order.

`KiteOrderFeed` keeps one ticker connection of its own (subscribed to no instrument) for a user while
someone listens to their orders; it reconnects with back-off and stops for good when Kite refuses the
token (the session expired). `PostbackVerifier` checks a postback and names the Kite account it is for.
"""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import threading
from typing import Any, Callable, Mapping
from urllib.parse import urlencode

from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from broker.contract import OrderEvent
from broker.errors import AuthError
from broker.zerodha.orders import ZerodhaOrders
from broker.zerodha.streaming import TickerCredentials
from utils.logging import get_logger

log = get_logger("broker.zerodha.order_updates")


def order_event(orders: ZerodhaOrders, payload: Mapping[str, Any]) -> OrderEvent:
    """A postback / ticker order payload as an event (the strategy tag is Kite's `tag`)."""
    event = OrderEvent.from_order(orders.order(dict(payload)), strategy=str(payload.get("tag") or ""))
    exchange_time = payload.get("exchange_update_timestamp") or payload.get("exchange_timestamp")
    return dataclasses.replace(event, exchange_timestamp=str(exchange_time or event.exchange_timestamp))


class PostbackVerifier:
    """`BrokerPlugin.postback`: (Kite account id, event) for a genuine postback; AuthError otherwise."""

    def __init__(self, orders: ZerodhaOrders, api_secret: str):
        self.orders = orders
        self._secret = api_secret

    def __call__(self, payload: Mapping[str, Any]) -> tuple[str, OrderEvent]:
        if not self._secret:
            raise AuthError("Zerodha postbacks need ZERODHA_API_SECRET", broker="zerodha")
        signed = f"{payload.get('order_id', '')}{payload.get('order_timestamp', '')}{self._secret}"
        expected = hashlib.sha256(signed.encode()).hexdigest()
        if not hmac.compare_digest(expected, str(payload.get("checksum") or "")):
            raise AuthError("The postback checksum does not match", broker="zerodha")
        return str(payload.get("user_id") or ""), order_event(self.orders, payload)


class KiteOrderFeed:
    """The user's order messages from a ticker connection of its own, emitted as OrderEvents."""

    def __init__(self, credentials: TickerCredentials, orders: ZerodhaOrders, emit: Callable[[OrderEvent], None],
                 backoff_initial: float = 0.5, backoff_max: float = 30.0):
        self.credentials = credentials
        self.orders = orders
        self.emit = emit
        self.backoff_initial, self.backoff_max = backoff_initial, backoff_max
        self.state = "idle"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ws: Any = None

    def connect(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="kite-order-feed", daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._stop.set()
        ws = self._ws
        if ws is not None:
            ws.close()

    def _url(self) -> str:
        creds = self.credentials
        return f"{creds.ticker_url}?{urlencode({'api_key': creds.api_key, 'access_token': creds.access_token})}"

    def _run(self) -> None:
        delay = self.backoff_initial
        while not self._stop.is_set():
            try:
                with connect(self._url(), open_timeout=10, close_timeout=2, max_size=2 ** 20) as ws:
                    self._ws, self.state, delay = ws, "connected", self.backoff_initial
                    for frame in ws:
                        if isinstance(frame, str):
                            self.on_text(frame)
            except InvalidStatus as exc:
                if exc.response.status_code in (401, 403):
                    log.warning("Kite refused the order-update connection (HTTP %s); the session has ended",
                                exc.response.status_code)
                    self.state = "rejected"
                    return
                log.warning("Kite order-update connection refused: HTTP %s", exc.response.status_code)
            except Exception as exc:  # network trouble: try again after a pause
                if not self._stop.is_set():
                    log.warning("Kite order-update connection lost: %s: %s", type(exc).__name__, exc)
            finally:
                self._ws = None
            self.state = "reconnecting"
            self._stop.wait(delay)
            delay = min(delay * 2, self.backoff_max)
        self.state = "closed"

    def on_text(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            return
        if isinstance(message, dict) and message.get("type") == "order" and isinstance(message.get("data"), dict):
            try:
                self.emit(order_event(self.orders, message["data"]))
            except (KeyError, TypeError, ValueError) as exc:
                log.warning("Kite order message not understood: %s", exc)
