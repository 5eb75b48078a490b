"""Dhan's live market feed on the common streaming base (DhanHQ v2 docs, "Live Market Feed").

One WebSocket (`wss://api-feed.dhan.co?version=2&token=...&clientId=...&authType=2`) carries up to 5000
instruments; Dhan allows five per user, and the base splits subscriptions across connections at the
cap. Requests are JSON — `{"RequestCode": 15 | 17 | 21, "InstrumentCount": n, "InstrumentList":
[{"ExchangeSegment": "NSE_EQ", "SecurityId": "1333"}]}`, at most 100 instruments per message, 16 / 18 /
22 to unsubscribe — and answers are the binary packets of feed_decoder.py. Each instrument is
subscribed once, at the richest mode anybody wants (LTP → ticker, Quote → quote, Depth → full with 5
levels); the base serves poorer modes from richer ticks. Previous-close and OI packets are remembered
per instrument and folded into the next quote / full tick. A disconnect packet (50) ends the link:
805 (too many connections) is retried by the base's back-off; 806-809 say the token or the data plan is
refused, which no reconnect can fix, so the adapter reports it as TokenExpired.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable
from urllib.parse import urlencode

from broker.dhan.feed_decoder import decode_message, ltt_epoch
from broker.dhan.mapping import SEGMENT_CODES, SEGMENT_NAMES
from broker.errors import TokenExpired
from broker.streaming import FeedInstrument, Subscription, TickPublisher, WebSocketFeedAdapter
from broker.ticks import DEPTH, LTP, QUOTE, FeedTick
from utils.logging import get_logger

log = get_logger("broker.dhan.streaming")

FEED_URL = "wss://api-feed.dhan.co"
MAX_INSTRUMENTS_PER_CONNECTION = 5000
MAX_CONNECTIONS = 5
MAX_PER_MESSAGE = 100
SUBSCRIBE_CODES = {LTP: 15, QUOTE: 17, DEPTH: 21}
UNSUBSCRIBE_OFFSET = 1
REFUSED_TOKEN_CODES = (806, 807, 808, 809)


@dataclass(frozen=True)
class FeedCredentials:
    client_id: str
    access_token: str
    feed_url: str = FEED_URL

    def __repr__(self) -> str:       # never show the token
        return f"FeedCredentials(client_id={self.client_id!r}, feed_url={self.feed_url!r})"


def feed_key(instrument: FeedInstrument) -> tuple[int, str] | None:
    """(segment code, security id) from the master-contract record the proxy looked up."""
    info = instrument.info
    segment = info.get("brexchange") if isinstance(info, dict) else getattr(info, "brexchange", None)
    if instrument.token is None or segment not in SEGMENT_CODES:
        return None
    return SEGMENT_CODES[segment], instrument.token


class DhanStreaming(WebSocketFeedAdapter):
    broker = "dhan"
    depth_levels = (5,)
    max_symbols_per_connection = MAX_INSTRUMENTS_PER_CONNECTION

    def __init__(self, publisher: TickPublisher, credentials: FeedCredentials, **overrides: Any):
        super().__init__(publisher, credentials, **overrides)
        self._names: dict[tuple[int, str], tuple[str, str]] = {}      # feed key → (exchange, symbol)
        self._codes: dict[int, dict[tuple[int, str], int]] = {}       # per connection: key → request code
        self._prev_close: dict[tuple[int, str], float] = {}
        self._oi: dict[tuple[int, str], int] = {}

    async def upstream_url(self) -> str:
        creds: FeedCredentials = self.credentials
        query = urlencode({"version": 2, "token": creds.access_token, "clientId": creds.client_id, "authType": 2})
        return f"{creds.feed_url}?{query}"

    # ------------------------------------------------------------------ requests
    async def _send(self, conn: Any, code: int, keys: list[tuple[int, str]]) -> None:
        for start in range(0, len(keys), MAX_PER_MESSAGE):
            batch = keys[start:start + MAX_PER_MESSAGE]
            await conn.send(json.dumps({"RequestCode": code, "InstrumentCount": len(batch), "InstrumentList": [
                {"ExchangeSegment": SEGMENT_NAMES[segment], "SecurityId": security_id} for segment, security_id in batch]}))

    async def _reconcile(self, conn: Any, subs: Iterable[Subscription]) -> None:
        """Bring each instrument's subscription on `conn` to the richest mode still wanted (or none)."""
        current = self._codes.setdefault(id(conn), {})
        add: dict[int, list[tuple[int, str]]] = {}
        drop: dict[int, list[tuple[int, str]]] = {}
        for sub in subs:
            key = feed_key(sub.instrument)
            if key is None:
                log.warning("No Dhan security id for %s:%s; not subscribed", *sub.instrument.key)
                continue
            wanted = self.wanted_modes(sub.instrument)
            code = SUBSCRIBE_CODES[max(wanted)] if wanted else None
            old = current.get(key)
            if old == code:
                continue
            if old is not None:
                drop.setdefault(old + UNSUBSCRIBE_OFFSET, []).append(key)
            if code is None:
                current.pop(key, None)
            else:
                current[key] = code
                self._names[key] = sub.instrument.key
                add.setdefault(code, []).append(key)
        for code, keys in sorted(drop.items()):
            await self._send(conn, code, keys)
        for code, keys in sorted(add.items()):
            await self._send(conn, code, keys)

    async def send_subscribe(self, conn: Any, subs: list[Subscription]) -> None:
        await self._reconcile(conn, subs)

    async def send_unsubscribe(self, conn: Any, subs: list[Subscription]) -> None:
        await self._reconcile(conn, subs)

    async def close_upstream(self, conn: Any) -> None:
        self._codes.pop(id(conn), None)     # a new connection starts with nothing subscribed
        await super().close_upstream(conn)

    # ------------------------------------------------------------------ answers
    def decode(self, frame: Any) -> Iterable[FeedTick]:
        if isinstance(frame, str):
            return          # Dhan sends no text frames on this feed
        for packet in decode_message(frame):
            tick = self._tick(packet)
            if tick is not None:
                yield tick

    def _tick(self, packet: dict[str, Any]) -> FeedTick | None:
        kind = packet["type"]
        if kind == "disconnect":
            message = f"Dhan closed the market feed: {packet['reason']}"
            if packet["reason_code"] in REFUSED_TOKEN_CODES:
                raise TokenExpired(message, broker="dhan", code=str(packet["reason_code"]))
            raise ConnectionError(message)
        key = (packet["exchange_segment"], str(packet["security_id"]))
        if kind == "prev_close":
            self._prev_close[key] = packet["prev_close"]
            return None
        if kind == "oi":
            self._oi[key] = packet["oi"]
            return None
        name = self._names.get(key)
        if name is None or kind == "market_status":
            return None
        exchange, symbol = name
        ltt = ltt_epoch(packet.get("ltt") or 0)
        common = {"exchange": exchange, "symbol": symbol, "ltp": packet["ltp"],
                  "ltt": ltt * 1000 if ltt else None}
        if kind == "ticker":
            return FeedTick(mode=LTP, **common)
        if "oi" in packet:
            self._oi[key] = packet["oi"]
        rich = {"open": packet["open"], "high": packet["high"], "low": packet["low"],
                "close": self._prev_close.get(key) or packet["close"], "volume": packet["volume"],
                "last_trade_quantity": packet["ltq"], "avg_trade_price": packet["atp"], "oi": self._oi.get(key),
                "total_buy_quantity": packet["total_buy_quantity"], "total_sell_quantity": packet["total_sell_quantity"]}
        if kind == "quote":
            return FeedTick(mode=QUOTE, **common, **rich)
        levels = packet["depth"]
        return FeedTick(mode=DEPTH, **common, **rich,
                    bids=[(l["bid_price"], l["bid_quantity"], l["bid_orders"]) for l in levels],
                    asks=[(l["ask_price"], l["ask_quantity"], l["ask_orders"]) for l in levels])
