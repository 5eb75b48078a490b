"""Dhan's live order-update WebSocket as the contract's push order feed (`BrokerPlugin.order_feed`).

DhanHQ v2 "Live Order Update": connect to wss://api-order-update.dhan.co, send `{"LoginReq": {"MsgCode":
42, "ClientId": ..., "Token": ...}, "UserType": "SELF"}`, then every change of the user's orders arrives
as JSON `{"Type": "order_alert", "Data": {...}}` — OrderNo, Exchange + Segment letter, Symbol, TxnType
B/S, OrderType LMT/MKT/SL/SLM, Product letter (C CNC, I intraday, M margin, F MTF, V cover, B bracket),
Quantity, TradedQty, RemainingQuantity, Price, TriggerPrice, AvgTradedPrice, Status, ReasonDescription,
ExchOrderTime. The feed runs on a thread of its own: a dropped link is reopened with back-off (1 s
doubling to 30 s) and logged in again; a refused login (a 4xxx / policy close) ends the feed instead
of retrying — the session has to be renewed.
"""
from __future__ import annotations

import json
import threading
from typing import Any, Callable

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import ClientConnection, connect

from broker.contract import BrokerSession, OrderEvent
from broker.dhan.mapping import SEGMENT_LETTERS, to_unified_product, to_unified_status
from broker.dhan.orders import SymbolNames
from utils.logging import get_logger

log = get_logger("broker.dhan.order_feed")

ORDER_UPDATE_URL = "wss://api-order-update.dhan.co"
_ORDER_TYPES = {"LMT": ("LIMIT", "LIMIT"), "MKT": ("MARKET", "MARKET"), "SL": ("SL", "STOP_LOSS"),
                "SLM": ("SL-M", "STOP_LOSS_MARKET")}
_PRODUCTS = {"C": "CNC", "I": "INTRADAY", "M": "MARGIN", "F": "MTF", "V": "CO", "B": "BO"}
MAX_BACKOFF = 30.0


def order_event(data: dict[str, Any], names: SymbolNames) -> OrderEvent:
    """One `order_alert` message's `Data` → the unified event."""
    segment = SEGMENT_LETTERS.get((data.get("Exchange") or "", data.get("Segment") or ""), "NSE_EQ")
    symbol, exchange = names(segment, data.get("Symbol") or "")
    pricetype, dhan_type = _ORDER_TYPES.get((data.get("OrderType") or "").upper(), ("LIMIT", "LIMIT"))
    status = to_unified_status(data.get("Status"), dhan_type)
    product = data.get("ProductName") or _PRODUCTS.get(data.get("Product") or "", "")
    return OrderEvent(
        order_id=str(data.get("OrderNo") or ""), symbol=symbol, exchange=exchange,
        action="SELL" if (data.get("TxnType") or "").upper().startswith("S") else "BUY",
        quantity=int(data.get("Quantity") or 0), status=status, pricetype=pricetype,
        product=to_unified_product(product), filled_quantity=int(data.get("TradedQty") or 0),
        pending_quantity=int(data.get("RemainingQuantity") or 0), average_price=float(data.get("AvgTradedPrice") or 0),
        price=float(data.get("Price") or 0), trigger_price=float(data.get("TriggerPrice") or 0),
        rejection_reason=(data.get("ReasonDescription") or "") if status == "rejected" else "",
        exchange_timestamp=str(data.get("ExchOrderTime") or data.get("LastUpdatedTime") or ""), raw=data)


class DhanOrderFeed:
    """connect() starts the thread; close() ends it. `emit` gets every order change, in Dhan's order."""

    def __init__(self, session: BrokerSession, emit: Callable[[OrderEvent], None], names: SymbolNames,
                 url: str = ORDER_UPDATE_URL, *, backoff: float = 1.0):
        self.session, self.emit, self.names, self.url = session, emit, names, url
        self.backoff = backoff
        self.refused = False            # Dhan refused the login: the feed stopped for good
        self.connections = 0
        self._stop = threading.Event()
        self._socket: ClientConnection | None = None
        self._thread: threading.Thread | None = None

    def connect(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="dhan-order-feed", daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._stop.set()
        socket = self._socket
        if socket is not None:
            socket.close()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        delay = self.backoff
        while not self._stop.is_set():
            try:
                with connect(self.url, open_timeout=10, close_timeout=2) as socket:
                    self._socket = socket
                    self.connections += 1
                    socket.send(json.dumps({"LoginReq": {"MsgCode": 42, "ClientId": self.session.broker_user_id,
                                                         "Token": self.session.auth_token}, "UserType": "SELF"}))
                    for message in socket:
                        delay = self.backoff        # a working link resets the back-off
                        self._handle(message)
            except ConnectionClosed as closed:
                code = closed.rcvd.code if closed.rcvd else None
                if code is not None and (4000 <= code < 5000 or code == 1008):
                    self.refused = True
                    log.warning("Dhan refused the order-update login (close code %s); the feed stops until "
                                "the broker session is renewed", code)
                    return
            except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
                log.info("Dhan order-update feed unreachable: %s", type(exc).__name__)
            finally:
                self._socket = None
            if self._stop.wait(delay):
                return
            delay = min(delay * 2, MAX_BACKOFF)

    def _handle(self, message: str | bytes) -> None:
        try:
            update = json.loads(message)
        except ValueError:
            return
        if not isinstance(update, dict) or update.get("Type") != "order_alert" or not isinstance(update.get("Data"), dict):
            return
        try:
            event = order_event(update["Data"], self.names)
        except (TypeError, ValueError):
            log.info("Dhan order update not understood; skipped")
            return
        self.emit(event)
