"""Fake Angel One WebSockets: SmartStream 2.0 market data and the order-status feed.

SmartStream (wss://smartapisocket.angelone.in/smart-stream in production): the handshake carries
`Authorization` (the JWT, with or without "Bearer "), `x-api-key`, `x-client-code`, `x-feed-token`
headers (or, for browsers, `?clientCode=&feedToken=&apiKey=`); anything else is refused with HTTP 401.
Text in: `{"correlationID", "action": 1 subscribe | 0 unsubscribe, "params": {"mode": 1|2|3, "tokenList":
[{"exchangeType": n, "tokens": [...]}]}}`, and the heartbeat "ping" (answered "pong"). Binary out: one
little-endian packet per subscribed (token, mode) every `interval` seconds, built with the plugin's own
encoder (broker/angel/smartstream.py), prices in paise. More than `max_tokens` tokens on one connection
gets a JSON error `{"correlationID", "errorCode", "errorMessage"}` and the excess is ignored.

Order status (wss://tns.angelone.in/smart-order-update): `Authorization: Bearer <jwt>`; on connect an
"AB00" message, then one JSON message per order change made on the fake REST server, "ping" → "pong".

Both can be killed and restarted on the same port, or frozen (open but silent), like the generic fake feed
they extend (tests/websocket_proxy/fake_broker.py).
"""
from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import parse_qs, urlparse

from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Response

from broker.angel.smartstream import MODE_SNAP_QUOTE, PACKET_SIZES, encode_packet, price_divisor
from tests.fakes.angel.data import base_price, fixture
from tests.fakes.angel.rest import AngelServer
from tests.support.net import free_port
from tests.websocket_proxy.fake_broker import FakeBrokerServer

MAX_TOKENS_PER_CONNECTION = 1000
EXCHANGE_TYPES = (1, 2, 3, 4, 5, 7, 13)
# order-status codes of the order WebSocket (docs, "WebSocket Order Status")
ORDER_STATUS_CODES = {"open": "AB01", "cancelled": "AB02", "rejected": "AB03", "modified": "AB04",
                      "complete": "AB05", "after market order req received": "AB06", "cancelled amo": "AB07",
                      "modified amo": "AB08", "open pending": "AB09", "trigger pending": "AB10"}


def _bare(token: str | None) -> str:
    text = (token or "").strip()
    return text[7:] if text.lower().startswith("bearer ") else text


class SmartStreamServer(FakeBrokerServer):
    """SmartStream 2.0 on the generic fake feed's machinery (event-loop thread, start / kill / close)."""

    def __init__(self, rest: AngelServer, interval: float = 0.02, max_tokens: int = MAX_TOKENS_PER_CONNECTION,
                 port: int | None = None):
        self.rest = rest
        self.max_tokens = max_tokens
        self.messages: list[Any] = []               # every text message received (JSON decoded when it is)
        self.sequence = 0
        super().__init__(port or free_port(), interval)
        self.connections: list[dict[tuple[int, str], set[int]]] = []   # (exchange type, token) → modes

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/smart-stream"

    def start(self) -> None:
        async def go() -> None:
            self._server = await serve(self._handle, "127.0.0.1", self.port, process_request=self._check)
        self._call(go())

    def _check(self, conn: ServerConnection, req: Any) -> Response | None:
        query = {k: v[0] for k, v in parse_qs(urlparse(req.path).query).items()}
        headers = req.headers
        api_key = headers.get("x-api-key") or query.get("apiKey")
        client = headers.get("x-client-code") or query.get("clientCode")
        feed = headers.get("x-feed-token") or query.get("feedToken")
        jwt = _bare(headers.get("Authorization")) or None
        rest = self.rest
        ok = (api_key == rest.api_key and client == rest.client_code and feed and feed == rest.feed_token
              and (jwt is None and "feedToken" in query or jwt == rest.jwt))
        if not ok:
            return Response(401, "Unauthorized", Headers(), b"Invalid feed token or credentials")
        return None

    async def _handle(self, conn: ServerConnection) -> None:
        subscribed: dict[tuple[int, str], set[int]] = {}
        self.accepted += 1
        self._live.add(conn)
        self.connections.append(subscribed)
        sender = asyncio.create_task(self._stream(conn, subscribed))
        try:
            async for raw in conn:
                if raw == "ping":
                    self.messages.append(raw)
                    await conn.send("pong")
                    continue
                await self._apply(conn, subscribed, raw)
        except Exception:
            pass
        finally:
            sender.cancel()
            self._live.discard(conn)
            self.connections.remove(subscribed)

    async def _error(self, conn: ServerConnection, correlation: str, code: str, message: str) -> None:
        await conn.send(json.dumps({"correlationID": correlation, "errorCode": code, "errorMessage": message}))

    async def _apply(self, conn: ServerConnection, subscribed: dict[tuple[int, str], set[int]], raw: Any) -> None:
        try:
            request = json.loads(raw)
            params = request["params"]
            action, mode, token_list = request["action"], params["mode"], params["tokenList"]
        except (ValueError, TypeError, KeyError):
            self.messages.append(raw)
            await self._error(conn, "", "E1001", "Invalid Request Payload")
            return
        self.messages.append(request)
        correlation = str(request.get("correlationID") or "")
        if action not in (0, 1):
            await self._error(conn, correlation, "E1003", "Invalid Action")
            return
        if mode not in PACKET_SIZES:
            await self._error(conn, correlation, "E1004", "Invalid Mode")
            return
        for group in token_list:
            exchange_type = group.get("exchangeType")
            if exchange_type not in EXCHANGE_TYPES:
                await self._error(conn, correlation, "E1006", "Invalid Exchange Type")
                continue
            for token in group.get("tokens", []):
                key = (exchange_type, str(token))
                if action == 0:
                    modes = subscribed.get(key)
                    if modes is not None:
                        modes.discard(mode)
                        if not modes:
                            del subscribed[key]
                    continue
                if key not in subscribed and len(subscribed) >= self.max_tokens:
                    await self._error(conn, correlation, "E1005",
                                      f"Subscription limit of {self.max_tokens} tokens exceeded")
                    return
                subscribed.setdefault(key, set()).add(mode)

    def packet(self, exchange_type: int, token: str, mode: int) -> bytes:
        self.sequence += 1
        divisor = price_divisor(exchange_type)
        ltp = round(base_price(token) * divisor) + self.sequence % 20 * (divisor // 20)
        step = 5 * divisor // 100
        packet: dict[str, Any] = {
            "mode": mode, "exchange_type": exchange_type, "token": token, "sequence_number": self.sequence,
            "exchange_timestamp": time.time_ns() // 1_000_000,
            "last_traded_price": ltp, "last_traded_quantity": 5, "average_traded_price": ltp - step,
            "volume": 1000 + self.sequence, "total_buy_quantity": 5000.0, "total_sell_quantity": 6000.0,
            "open": ltp - 2 * step, "high": ltp + 4 * step, "low": ltp - 4 * step, "close": ltp - step,
        }
        if mode == MODE_SNAP_QUOTE:
            packet.update(last_traded_timestamp=packet["exchange_timestamp"], open_interest=0,
                          oi_change_percent=0.0, upper_circuit=ltp * 11 // 10, lower_circuit=ltp * 9 // 10,
                          high_52_week=ltp * 13 // 10, low_52_week=ltp * 7 // 10,
                          bids=[{"price": ltp - step * (i + 1), "quantity": 10 * (i + 1), "orders": i + 1}
                                for i in range(5)],
                          asks=[{"price": ltp + step * (i + 1), "quantity": 12 * (i + 1), "orders": i + 1}
                                for i in range(5)])
        return encode_packet(packet)

    async def _stream(self, conn: ServerConnection, subscribed: dict[tuple[int, str], set[int]]) -> None:
        while True:
            await asyncio.sleep(self.interval)
            if self.frozen:
                continue
            for (exchange_type, token), modes in list(subscribed.items()):
                for mode in sorted(modes):
                    await conn.send(self.packet(exchange_type, token, mode))


class OrderStatusServer(FakeBrokerServer):
    """The order-status WebSocket: pushes each order change the fake REST server makes."""

    def __init__(self, rest: AngelServer, port: int | None = None):
        self.rest = rest
        self.sent: list[dict[str, Any]] = []
        super().__init__(port or free_port(), 0.05)
        rest.order_listeners.append(self._on_order)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/smart-order-update"

    def start(self) -> None:
        async def go() -> None:
            self._server = await serve(self._handle, "127.0.0.1", self.port, process_request=self._check)
        self._call(go())

    def _check(self, conn: ServerConnection, req: Any) -> Response | None:
        if not self.rest.jwt or _bare(req.headers.get("Authorization")) != self.rest.jwt:
            return Response(401, "Unauthorized", Headers(), b"Invalid token")
        return None

    async def _handle(self, conn: ServerConnection) -> None:
        self.accepted += 1
        self._live.add(conn)
        try:
            connected = fixture("order_update_connected.json")
            connected["user-id"] = self.rest.client_code
            await conn.send(json.dumps(connected))
            async for raw in conn:
                if raw == "ping":
                    await conn.send("pong")
        except Exception:
            pass
        finally:
            self._live.discard(conn)

    def _on_order(self, order: dict[str, Any]) -> None:
        message = {"user-id": self.rest.client_code, "status-code": "200",
                   "order-status": ORDER_STATUS_CODES.get(order["orderstatus"], "AB01"), "error-message": "",
                   "orderData": order}
        self.sent.append(message)
        text = json.dumps(message)

        async def broadcast() -> None:
            for conn in list(self._live):
                try:
                    await conn.send(text)
                except Exception:
                    pass
        if not self.frozen:
            asyncio.run_coroutine_threadsafe(broadcast(), self._loop)
