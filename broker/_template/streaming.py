"""The market feed on the common streaming base (broker/streaming.py): `BrokerPlugin.feed` builds one per
user; the proxy runs it. The base reconnects with back-off, resubscribes, detects stalls, splits
symbols across connections and stops for good when the broker refuses the token.

The template broker's feed is a JSON WebSocket (TEMPLATE_WS_URL/feed?api_key=..&access_token=..):
`{"action": "subscribe", "mode": "ltp"|"quote"|"full", "tokens": [...]}` in, `{"type": "tick", ...}`
out. A bad token is refused at the handshake (HTTP 403, which the base already treats as a refused
token) or, on a live connection, by `{"type": "error", "code": "TOKEN_EXPIRED"}`, which `decode` turns
into TokenExpired. Brokers with binary frames decode them in a module of their own (see
broker/zerodha/ticker_decoder.py).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable
from urllib.parse import urlencode

from broker._template.mapping import FEED_MODES
from broker.errors import TokenExpired
from broker.streaming import Subscription, TickPublisher, WebSocketFeedAdapter
from broker.ticks import DEPTH, FeedTick

MAX_TOKENS_PER_CONNECTION = 500


@dataclass(frozen=True)
class FeedCredentials:
    api_key: str
    access_token: str
    url: str

    def __repr__(self) -> str:   # never show the token
        return f"FeedCredentials(url={self.url!r})"


class TemplateFeed(WebSocketFeedAdapter):
    broker = "template"
    depth_levels = (5,)
    max_symbols_per_connection = MAX_TOKENS_PER_CONNECTION
    stall_timeout = 15.0

    def __init__(self, publisher: TickPublisher, credentials: FeedCredentials, **overrides: Any):
        super().__init__(publisher, credentials, **overrides)
        self._names: dict[str, tuple[str, str]] = {}   # token → (exchange, symbol) as subscribed

    async def upstream_url(self) -> str:
        creds: FeedCredentials = self.credentials
        return f"{creds.url}/feed?{urlencode({'api_key': creds.api_key, 'access_token': creds.access_token})}"

    async def send_subscribe(self, conn: Any, subs: list[Subscription]) -> None:
        by_mode: dict[str, list[str]] = {}
        for sub in subs:
            token = sub.instrument.token
            if token is None:
                continue
            self._names[token] = sub.instrument.key
            richest = max(self.wanted_modes(sub.instrument) or {sub.mode: 0})   # one mode per token
            by_mode.setdefault(FEED_MODES[richest], []).append(token)
        for mode, tokens in by_mode.items():
            await conn.send(json.dumps({"action": "subscribe", "mode": mode, "tokens": tokens}))

    async def send_unsubscribe(self, conn: Any, subs: list[Subscription]) -> None:
        gone = [token for sub in subs if not self.wanted_modes(sub.instrument)
                for token in [sub.instrument.token] if token]
        if gone:
            await conn.send(json.dumps({"action": "unsubscribe", "tokens": gone}))
        still = [sub for sub in subs if self.wanted_modes(sub.instrument)]
        if still:
            await self.send_subscribe(conn, still)   # a poorer mode remains: step the token down

    def decode(self, frame: Any) -> Iterable[FeedTick]:
        message = json.loads(frame)
        if message.get("type") == "error" and message.get("code") == "TOKEN_EXPIRED":
            raise TokenExpired(message.get("message") or "the feed's token expired", broker=self.broker)
        if message.get("type") != "tick":
            return ()
        name = self._names.get(str(message.get("token")))
        if name is None:
            return ()
        exchange, symbol = name
        return (FeedTick(exchange=exchange, symbol=symbol, ltp=float(message["ltp"]), mode=DEPTH,
                         open=float(message.get("open", 0)), high=float(message.get("high", 0)),
                         low=float(message.get("low", 0)), close=float(message.get("close", 0)),
                         volume=int(message.get("volume", 0)),
                         bids=[tuple(level) for level in message.get("bids", [])],
                         asks=[tuple(level) for level in message.get("asks", [])]),)
