"""SmartStream 2.0 (Angel One's market-data WebSocket) on the common streaming base.

The handshake carries `Authorization: Bearer <jwt>`, `x-api-key`, `x-client-code` and `x-feed-token`
(docs, "WebSocket 2.0"). Requests are JSON: `{"correlationID", "action": 1 subscribe | 0 unsubscribe,
"params": {"mode", "tokenList": [{"exchangeType", "tokens"}]}}`; answers are binary packets
(smartstream.py). One connection takes up to 1000 tokens and a client code may open three, so the base
splits larger sets across connections. Each instrument is subscribed once, in the richest mode anybody
wants (LTP 1, Quote 2, Depth → SnapQuote 3, which carries the best five bids and asks); the base serves
poorer modes from richer ticks. The client must send the text "ping" (answered "pong") to keep the link:
sent every 10 s, and its answer also keeps the base's stall detection quiet when the market is shut.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable

from broker.angel.mapping import exchange_type
from broker.angel.smartstream import PacketError, decode_packet, to_tick
from broker.streaming import FeedInstrument, Subscription, WebSocketFeedAdapter
from broker.ticks import DEPTH, LTP, QUOTE, FeedTick
from utils.logging import get_logger

log = get_logger("broker.angel.streaming")

STREAM_URL = "wss://smartapisocket.angelone.in/smart-stream"
MAX_TOKENS_PER_CONNECTION = 1000
MAX_CONNECTIONS = 3
ANGEL_MODES = {LTP: 1, QUOTE: 2, DEPTH: 3}
_Key = tuple[int, str]       # (exchange type, token)


@dataclass(frozen=True)
class StreamCredentials:
    api_key: str
    client_code: str
    jwt: str
    feed_token: str
    url: str = STREAM_URL

    def __repr__(self) -> str:       # never show the tokens
        return f"StreamCredentials(client_code={self.client_code!r}, url={self.url!r})"


def instrument_key(instrument: FeedInstrument) -> _Key | None:
    """(exchange type, token) from the master-contract record the proxy looked up."""
    info = instrument.info
    token = info.get("token") if isinstance(info, dict) else getattr(info, "token", None)
    try:
        return (exchange_type(instrument.exchange), str(token)) if token else None
    except KeyError:
        return None


class AngelStreaming(WebSocketFeedAdapter):
    broker = "angel"
    depth_levels = (5,)
    max_symbols_per_connection = MAX_TOKENS_PER_CONNECTION
    heartbeat_interval = 10.0
    stall_timeout = 35.0

    def __init__(self, publisher: TickPublisher, credentials: StreamCredentials, **overrides: Any):
        super().__init__(publisher, credentials, **overrides)
        self._names: dict[_Key, tuple[str, str]] = {}            # → (exchange, symbol) as subscribed
        self._conn_modes: dict[int, dict[_Key, int]] = {}           # id(connection) → token → Angel mode sent
        self._requests = 0

    async def upstream_url(self) -> str:
        return self.credentials.url

    async def upstream_headers(self) -> dict[str, str]:
        creds: StreamCredentials = self.credentials
        return {"Authorization": f"Bearer {creds.jwt}", "x-api-key": creds.api_key,
                "x-client-code": creds.client_code, "x-feed-token": creds.feed_token}

    async def close_upstream(self, conn: Any) -> None:
        self._conn_modes.pop(id(conn), None)
        await conn.close()

    async def send_heartbeat(self, conn: Any) -> None:
        await conn.send("ping")

    def _request(self, action: int, mode: int, keys: Iterable[_Key]) -> str:
        groups: dict[int, list[str]] = {}
        for etype, token in keys:
            groups.setdefault(etype, []).append(token)
        self._requests += 1
        return json.dumps({"correlationID": f"oa{self._requests:08d}"[-10:], "action": action,
                           "params": {"mode": mode, "tokenList": [{"exchangeType": etype, "tokens": tokens}
                                                                  for etype, tokens in sorted(groups.items())]}})

    async def _apply(self, conn: Any, subs: list[Subscription]) -> None:
        """Bring each instrument of `subs` to its richest wanted mode on this connection (or drop it)."""
        sent = self._conn_modes.setdefault(id(conn), {})
        drop: dict[int, list[_Key]] = {}
        add: dict[int, list[_Key]] = {}
        for sub in subs:
            key = instrument_key(sub.instrument)
            if key is None:
                log.warning("No Angel One token for %s:%s; not subscribed", *sub.instrument.key)
                continue
            wanted = self.wanted_modes(sub.instrument)
            target = ANGEL_MODES[max(wanted)] if wanted else None
            current = sent.get(key)
            if current == target:
                continue
            if current is not None:
                drop.setdefault(current, []).append(key)
                del sent[key]
            if target is not None:
                add.setdefault(target, []).append(key)
                sent[key] = target
                self._names[key] = sub.instrument.key
        for mode, keys in sorted(drop.items()):
            await conn.send(self._request(0, mode, keys))
        for mode, keys in sorted(add.items()):
            await conn.send(self._request(1, mode, keys))

    async def send_subscribe(self, conn: Any, subs: list[Subscription]) -> None:
        await self._apply(conn, subs)

    async def send_unsubscribe(self, conn: Any, subs: list[Subscription]) -> None:
        await self._apply(conn, subs)

    def decode(self, frame: Any) -> Iterable[FeedTick]:
        if isinstance(frame, str):
            self._on_text(frame)
            return
        try:
            packet = decode_packet(frame)
        except PacketError as exc:
            log.warning("Unreadable SmartStream packet: %s", exc)
            return
        name = self._names.get((packet["exchange_type"], packet["token"]))
        if name is not None:
            yield to_tick(packet, *name)

    @staticmethod
    def _on_text(text: str) -> None:
        if text == "pong":
            return
        try:
            message = json.loads(text)
        except ValueError:
            return
        if isinstance(message, dict) and message.get("errorCode"):
            log.warning("SmartStream error %s: %s", message.get("errorCode"), message.get("errorMessage"))


def credentials_from(session: Any, api_key: str, url: str = "") -> StreamCredentials:
    """StreamCredentials from a live BrokerSession (client code kept in its `extra` at login)."""
    extra = getattr(session, "extra", None) or {}
    client_code = extra.get("client_code") or getattr(session, "broker_user_id", "")
    if not (getattr(session, "auth_token", "") and getattr(session, "feed_token", "") and client_code and api_key):
        raise ValueError("angel streaming needs the API key and a live session's JWT, feed token and client code")
    return StreamCredentials(api_key, client_code, session.auth_token, session.feed_token, url or STREAM_URL)
