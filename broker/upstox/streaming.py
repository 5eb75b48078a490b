"""The Upstox market-data feed V3 on the common streaming base (docs, "Market Data Feed V3").

Each (re)connection first asks `GET /v3/feed/market-data-feed/authorize` for a one-time `wss://` URL
(the answer's `authorized_redirect_uri`), so a reconnect never reuses a spent URL and an expired token
shows up as TokenExpired from that call. Requests are binary frames holding JSON
`{"guid", "method": "sub"|"unsub"|"change_mode", "data": {"mode", "instrumentKeys"}}`; answers are
protobuf `FeedResponse` frames (feed_codec.py). An instrument is subscribed in one mode: `ltpc` when
only LTP is wanted, `full` (LTP, OHLC, volume, 5 depth levels) as soon as Quote or Depth is; the base
serves poorer modes from richer ticks.

Caps (docs, "Connection and Subscription Limits"): one connection per app and user (five with Upstox
Plus); per connection 5000 ltpc / 2000 full keys when one mode is used, 2000 ltpc / 1500 full when modes
are mixed. The adapter declares 1500 instruments per connection, inside every combination; instruments
beyond that go to a further connection, which a standard account's Upstox refuses: it is retried with
back-off and never taken for a refused token (the token is checked by the authorize call, so only a 401
on the handshake means that).
"""
from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from broker.streaming import FeedInstrument, Subscription, TickPublisher, WebSocketFeedAdapter
from broker.ticks import DEPTH, LTP, QUOTE, FeedTick
from broker.upstox.feed_codec import FULL, LTPC, FeedFormatError, FeedQuote, decode
from utils.logging import get_logger

log = get_logger("broker.upstox.streaming")

MAX_INSTRUMENTS_PER_CONNECTION = 1500
MAX_CONNECTIONS = 1
UPSTOX_MODES = {LTP: LTPC, QUOTE: FULL, DEPTH: FULL}


@dataclass(frozen=True)
class FeedAccess:
    """How to reach the feed for one user: a callable returning a fresh authorized wss URL (it calls the
    REST authorize endpoint with the user's token; blocking, run in a thread)."""
    authorize: Callable[[], str]

    def __repr__(self) -> str:
        return "FeedAccess(...)"


def instrument_key(instrument: FeedInstrument) -> str | None:
    """The Upstox instrument key from the master-contract record the proxy looked up."""
    info = instrument.info
    token = info.get("token") if isinstance(info, dict) else getattr(info, "token", None)
    return str(token) if token else None


def to_tick(quote: FeedQuote, exchange: str, symbol: str) -> FeedTick:
    day = quote.day_candle()
    mode = LTP if quote.mode == LTPC else (QUOTE if quote.is_index or not (quote.bids or quote.asks) else DEPTH)
    return FeedTick(exchange=exchange, symbol=symbol, ltp=quote.ltp, mode=mode, ltt=quote.last_trade_time or None,
                open=day.open if day else 0.0, high=day.high if day else 0.0, low=day.low if day else 0.0,
                close=quote.previous_close, volume=quote.volume, last_trade_quantity=quote.last_trade_quantity,
                avg_trade_price=quote.average_price, oi=int(quote.oi) if quote.oi else None,
                total_buy_quantity=int(quote.total_buy_quantity) if quote.total_buy_quantity else None,
                total_sell_quantity=int(quote.total_sell_quantity) if quote.total_sell_quantity else None,
                bids=[(price, qty, 0) for price, qty in quote.bids],
                asks=[(price, qty, 0) for price, qty in quote.asks])


class UpstoxStreaming(WebSocketFeedAdapter):
    broker = "upstox"
    depth_levels = (5,)
    max_symbols_per_connection = MAX_INSTRUMENTS_PER_CONNECTION
    stall_timeout = 30.0
    token_rejected_statuses = frozenset({401})     # a 403 is the connection limit, not the token

    def __init__(self, publisher: TickPublisher, credentials: FeedAccess, **overrides: Any):
        super().__init__(publisher, credentials, **overrides)
        self._names: dict[str, tuple[str, str]] = {}     # instrument key → (exchange, symbol) as subscribed
        self.market_status: dict[str, str] = {}

    async def upstream_url(self) -> str:
        access: FeedAccess = self.credentials
        return await asyncio.to_thread(access.authorize)

    def _upstox_mode(self, instrument: FeedInstrument, fallback: int) -> str:
        wanted = self.wanted_modes(instrument)
        return UPSTOX_MODES[max(wanted) if wanted else fallback]

    def _keys_by_mode(self, subs: list[Subscription]) -> dict[str, list[str]]:
        by_mode: dict[str, list[str]] = {}
        for sub in subs:
            key = instrument_key(sub.instrument)
            if key is None:
                log.warning("No Upstox instrument key for %s:%s; not subscribed", *sub.instrument.key)
                continue
            self._names[key] = sub.instrument.key
            keys = by_mode.setdefault(self._upstox_mode(sub.instrument, sub.mode), [])
            if key not in keys:
                keys.append(key)
        return by_mode

    @staticmethod
    async def _send(conn: Any, method: str, keys: list[str], mode: str | None = None) -> None:
        data: dict[str, Any] = {"instrumentKeys": keys}
        if mode:
            data["mode"] = mode
        await conn.send(json.dumps({"guid": uuid.uuid4().hex, "method": method, "data": data}).encode())

    async def send_subscribe(self, conn: Any, subs: list[Subscription]) -> None:
        for mode, keys in sorted(self._keys_by_mode(subs).items()):
            await self._send(conn, "sub", keys, mode)

    async def send_unsubscribe(self, conn: Any, subs: list[Subscription]) -> None:
        gone, still_wanted = [], []
        for sub in subs:
            key = instrument_key(sub.instrument)
            if key is None:
                continue
            if self.wanted_modes(sub.instrument):
                still_wanted.append(sub)
            else:
                gone.append(key)
                self._names.pop(key, None)
        if gone:
            await self._send(conn, "unsub", sorted(set(gone)))
        for mode, keys in sorted(self._keys_by_mode(still_wanted).items()):
            await self._send(conn, "change_mode", keys, mode)

    def decode(self, frame: Any) -> Iterable[FeedTick]:
        if isinstance(frame, str):
            log.warning("Upstox feed sent text: %s", frame[:200])
            return
        try:
            message = decode(frame)
        except FeedFormatError as exc:
            log.warning("%s", exc)
            return
        if message.market_status:
            self.market_status.update(message.market_status)
        for quote in message.quotes:
            name = self._names.get(quote.instrument_key)
            if name is not None:
                yield to_tick(quote, *name)
