"""A fake Kite ticker WebSocket (wss://ws.kite.trade in production), speaking the documented protocol.

Connect with `?api_key=...&access_token=...` (anything else is refused with HTTP 403). Text messages in:
`{"a": "subscribe", "v": [tokens]}` (quote mode by default), `{"a": "mode", "v": ["ltp"|"quote"|"full",
[tokens]]}`, `{"a": "unsubscribe", "v": [tokens]}`. Binary frames out every `interval` seconds: for
INFY (408065) the recorded `ticker_full.packet` / `ticker_quote.packet` byte for byte (LTP: their first
8 bytes), for any other token a packet built with the encoder (its last price set by `set_price`, else
derived from the token); a 1-byte heartbeat each second. More
instruments than `max_instruments` on one connection gets a text error message and the excess ignored.
The server can be killed and restarted on the same port, or frozen (open but silent), like the generic
fake feed it extends (tests/websocket_proxy/fake_broker.py). Order updates: `push_order(payload)` sends
`{"type": "order", "data": payload}` as a text message on every open connection, as Kite does on each of
the user's connections (connect it to the fake REST server: `kite.order_listeners.append(ticker.push_order)`).
"""
from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qs, urlparse

from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Response
from websockets.datastructures import Headers

from broker.zerodha.ticker_decoder import decode_packet, encode_frame, encode_packet
from tests.fakes.fixtures import kite_packet
from tests.support.net import free_port
from tests.websocket_proxy.fake_broker import FakeBrokerServer

INFY = 408065


class KiteTickerServer(FakeBrokerServer):
    """Kite's protocol on the generic fake feed's machinery (event-loop thread, start / kill / close)."""

    def __init__(self, api_key: str = "kiteapikey", access_token: str = "kiteaccesstoken",
                 interval: float = 0.02, max_instruments: int = 3000, port: int = 0):
        """Listens at once on `port` (0: a free one; see `url`)."""
        self.api_key, self.access_token = api_key, access_token
        self.max_instruments = max_instruments
        self.messages: list[dict[str, Any]] = []         # every text message received
        self.prices: dict[int, float] = {}                # token → the last price its packets carry
        self.refused = 0                                  # handshakes answered 403 (wrong key or token)
        super().__init__(port or free_port(), interval)
        self.connections: list[dict[int, str]] = []     # token → mode, per live connection

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> None:
        async def go() -> None:
            self._server = await serve(self._handle, "127.0.0.1", self.port, process_request=self._check)
        self._call(go())

    def _check(self, conn: ServerConnection, req: Any) -> Response | None:
        query = parse_qs(urlparse(req.path).query)
        if query.get("api_key") != [self.api_key] or query.get("access_token") != [self.access_token]:
            self.refused += 1
            return Response(403, "Forbidden", Headers(), b"invalid api_key or access_token")
        return None

    async def _handle(self, conn: ServerConnection) -> None:
        modes: dict[int, str] = {}
        self.accepted += 1
        self._live.add(conn)
        self.connections.append(modes)
        sender = asyncio.create_task(self._stream(conn, modes))
        try:
            async for raw in conn:
                message = json.loads(raw)
                self.messages.append(message)
                await self._apply(conn, modes, message)
        except Exception:
            pass
        finally:
            sender.cancel()
            self._live.discard(conn)
            self.connections.remove(modes)

    async def _apply(self, conn: ServerConnection, modes: dict[int, str], message: dict[str, Any]) -> None:
        action, value = message.get("a"), message.get("v")
        if action == "subscribe":
            for token in value:
                if token not in modes and len(modes) >= self.max_instruments:
                    await conn.send(json.dumps({"type": "error", "data": "Maximum instruments exceeded"}))
                    return
                modes.setdefault(token, "quote")
        elif action == "unsubscribe":
            for token in value:
                modes.pop(token, None)
        elif action == "mode":
            mode, tokens = value
            for token in tokens:
                if token in modes:
                    modes[token] = mode

    def push_order(self, payload: dict[str, Any]) -> None:
        """An order update on every open connection (from any thread)."""
        text = json.dumps({"type": "order", "data": payload})

        async def send() -> None:
            for conn in list(self._live):
                try:
                    await conn.send(text)
                except Exception:  # a connection closing meanwhile
                    pass
        self._call(send())

    def set_price(self, token: int, last_price: float) -> None:
        """From now on, `token`'s packets carry this last price (any thread)."""
        self.prices[int(token)] = float(last_price)

    def subscribed(self, token: int) -> bool:
        """True when some open connection streams `token`."""
        return any(int(token) in modes for modes in list(self.connections))

    def packet(self, token: int, mode: str) -> bytes:
        if token == INFY and token not in self.prices:
            recorded = kite_packet("ticker_quote.packet" if mode != "full" else "ticker_full.packet")
            return recorded[:8] if mode == "ltp" else recorded
        template = decode_packet(kite_packet("ticker_full.packet"))
        template.update(instrument_token=token, mode=mode, last_price=self.prices.get(token, 100.0 + token % 1000 / 100))
        return encode_packet(template)     # an index token (segment 9) gets the 28 / 32-byte layout

    async def _stream(self, conn: ServerConnection, modes: dict[int, str]) -> None:
        beat = 0.0
        while True:
            await asyncio.sleep(self.interval)
            beat += self.interval
            if self.frozen:
                continue
            if beat >= 1.0:
                beat = 0.0
                await conn.send(b"\x00")
            if modes:
                await conn.send(encode_frame([self.packet(t, m) for t, m in list(modes.items())]))
