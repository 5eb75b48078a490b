"""A fake Dhan live market feed (wss://api-feed.dhan.co in production), speaking DhanHQ v2's protocol.

Connect with `?version=2&token=...&clientId=...&authType=2`. A wrong client id or token, an expired
token or a sixth connection gets the binary disconnect packet (response code 50 with reason 808 / 809 /
807 / 805) and the socket closed, like Dhan. JSON requests in: `{"RequestCode": 15|17|21, "InstrumentCount":
n, "InstrumentList": [{"ExchangeSegment": "NSE_EQ", "SecurityId": "1333"}, ...]}` to subscribe ticker /
quote / full, 16 / 18 / 22 to unsubscribe, 12 to disconnect; more than 100 instruments in one message
is ignored, and instruments beyond `max_instruments` per connection are dropped (kept in `refused`).
Binary packets out every `interval` seconds, one packet per WebSocket message, little-endian, built
with the plugin's encoder from the recorded field values (tests/fixtures/dhan/feed_packets.json): a
previous-close packet once per new instrument, then ticker / quote (+ OI for derivatives) / full.
The server can be killed and restarted on the same port, or frozen (open but silent).
"""
from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import parse_qs, urlparse

from websockets.asyncio.server import ServerConnection

from broker.dhan.feed_decoder import IST_OFFSET_SECONDS, encode_packet
from broker.dhan.mapping import SEGMENT_CODES
from tests.fakes.dhan.fixtures import dhan_json
from tests.fakes.dhan.server import ACCESS_TOKEN, CLIENT_ID
from tests.support.net import free_port
from tests.fakes.dhan.sockets import DhanSocketServer

SUBSCRIBE = {15: "ticker", 17: "quote", 21: "full"}
UNSUBSCRIBE = {16: "ticker", 18: "quote", 22: "full"}
DISCONNECT_REQUEST = 12
MAX_PER_MESSAGE = 100
DERIVATIVE_SEGMENTS = (2, 5, 8)


class DhanFeedServer(DhanSocketServer):
    """Dhan's feed protocol on the generic fake feed's machinery (event-loop thread, start / kill / close)."""

    def __init__(self, client_id: str = CLIENT_ID, access_token: str = ACCESS_TOKEN, interval: float = 0.02,
                 max_instruments: int = 5000, max_connections: int = 5, port: int | None = None):
        self.client_id, self.access_token = client_id, access_token
        self.max_instruments, self.max_connections = max_instruments, max_connections
        self.token_expired = False
        self.messages: list[dict[str, Any]] = []            # every JSON request received
        self.refused: list[tuple[int, str]] = []            # instruments over the per-connection cap
        self.templates = dhan_json("feed_packets.json")
        self.ticks_sent = 0
        self.attempts = 0                                   # connections opened, refused ones included
        super().__init__(port or free_port(), interval)
        self.connections: list[dict[tuple[int, str], set[str]]] = []   # (segment, id) → kinds, per connection

    def expire_token(self) -> None:
        """Every live connection gets the 807 disconnect packet; new ones are refused the same way."""
        self.token_expired = True

        async def go() -> None:
            for conn in list(self._live):
                await self._refuse(conn, 807)
        self._call(go())

    def _refusal(self, conn: ServerConnection) -> int | None:
        query = parse_qs(urlparse(conn.request.path).query)
        if query.get("version") != ["2"] or query.get("authType") != ["2"]:
            return 809
        if query.get("clientId") != [self.client_id]:
            return 808
        if query.get("token") != [self.access_token]:
            return 809
        if self.token_expired:
            return 807
        if len(self._live) >= self.max_connections:
            return 805
        return None

    @staticmethod
    async def _refuse(conn: ServerConnection, reason: int) -> None:
        await conn.send(encode_packet("disconnect", {"exchange_segment": 0, "security_id": 0, "reason_code": reason}))
        try:        # let a client that subscribes right after connecting finish sending before the close
            await asyncio.wait_for(conn.recv(), 0.3)
        except Exception:
            pass
        conn.close_timeout = 1.0       # the SDK stops reading after the disconnect packet
        await conn.close(1000, "disconnected by server")

    async def _handle(self, conn: ServerConnection) -> None:
        self.attempts += 1
        reason = self._refusal(conn)
        self._live.add(conn)        # refused ones too, so kill() can abort a half-closed socket
        if reason is not None:
            try:
                await self._refuse(conn, reason)
            finally:
                self._live.discard(conn)
            return
        subscribed: dict[tuple[int, str], set[str]] = {}
        self.accepted += 1
        self.connections.append(subscribed)
        sender = asyncio.create_task(self._stream(conn, subscribed))
        try:
            async for raw in conn:
                if isinstance(raw, bytes):
                    continue        # the SDK follows its JSON disconnect with a binary header; nothing to do
                message = json.loads(raw)
                self.messages.append(message)
                if message.get("RequestCode") == DISCONNECT_REQUEST:
                    await conn.close(1000, "client disconnected")
                    break
                self._apply(subscribed, message)
        except Exception:
            pass
        finally:
            sender.cancel()
            self._live.discard(conn)
            self.connections.remove(subscribed)

    def _apply(self, subscribed: dict[tuple[int, str], set[str]], message: dict[str, Any]) -> None:
        code = message.get("RequestCode")
        instruments = message.get("InstrumentList") or []
        if len(instruments) > MAX_PER_MESSAGE:
            return
        for item in instruments:
            segment = SEGMENT_CODES.get(item.get("ExchangeSegment"))
            if segment is None:
                continue
            key = (segment, str(item.get("SecurityId")))
            if code in SUBSCRIBE:
                if key not in subscribed and len(subscribed) >= self.max_instruments:
                    self.refused.append(key)
                    continue
                subscribed.setdefault(key, set()).add(SUBSCRIBE[code])
            elif code in UNSUBSCRIBE and key in subscribed:
                subscribed[key].discard(UNSUBSCRIBE[code])
                if not subscribed[key]:
                    del subscribed[key]

    def packet(self, kind: str, segment: int, security_id: str, step: int) -> bytes:
        template = self.templates["full" if kind == "full" else "quote"]
        ltp = round(100 + int(security_id) % 1000 / 10 + 0.05 * (step % 20), 2)
        fields = {**template, "exchange_segment": segment, "security_id": int(security_id), "ltp": ltp,
                  "ltt": int(time.time()) + IST_OFFSET_SECONDS,
                  "open": ltp - 1, "high": ltp + 3, "low": ltp - 4, "close": ltp - 2}
        if kind == "full":
            fields["depth"] = [{**level, "bid_price": round(ltp - 0.05 * (i + 1), 2),
                                "ask_price": round(ltp + 0.05 * (i + 1), 2)}
                               for i, level in enumerate(template["depth"])]
        return encode_packet(kind, fields)

    async def _stream(self, conn: ServerConnection, subscribed: dict[tuple[int, str], set[str]]) -> None:
        greeted: set[tuple[int, str]] = set()
        step = 0
        while True:
            await asyncio.sleep(self.interval)
            if self.frozen:
                continue
            step += 1
            for (segment, security_id), kinds in list(subscribed.items()):
                if (segment, security_id) not in greeted:
                    greeted.add((segment, security_id))
                    prev = 100 + int(security_id) % 1000 / 10 - 2
                    await conn.send(encode_packet("prev_close", {"exchange_segment": segment,
                                                                 "security_id": int(security_id),
                                                                 "prev_close": prev, "prev_oi": 0}))
                for kind in sorted(kinds):
                    await conn.send(self.packet(kind, segment, security_id, step))
                    self.ticks_sent += 1
                    if kind == "quote" and segment in DERIVATIVE_SEGMENTS:
                        await conn.send(encode_packet("oi", {"exchange_segment": segment,
                                                             "security_id": int(security_id),
                                                             "oi": self.templates["full"]["oi"]}))
