"""The Kite ticker on the common streaming base (Kite Connect v3, "WebSocket streaming").

One WebSocket per up to 3000 instruments (the documented per-connection cap; the base splits across
connections, and Kite allows three per API key). Kite subscribes an instrument in exactly one mode, so
each instrument is set to the richest mode anybody wants (LTP=1 → `ltp`, Quote=2 → `quote`,
Depth=3 → `full`); the base serves poorer modes from richer ticks. Frames are binary (see
ticker_decoder.py); text frames carry order updates and errors, which the feed does not publish. Kite
sends a 1-byte heartbeat every second, so a silent link is detected by the base's stall timeout.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable
from urllib.parse import urlencode

from broker.streaming import FeedInstrument, Subscription, TickPublisher, WebSocketFeedAdapter
from broker.ticks import DEPTH, LTP, QUOTE, FeedTick
from broker.zerodha.ticker_decoder import decode_frame, to_tick
from utils.logging import get_logger

log = get_logger("broker.zerodha.streaming")

TICKER_URL = "wss://ws.kite.trade"
KITE_MODES = {LTP: "ltp", QUOTE: "quote", DEPTH: "full"}
MAX_INSTRUMENTS_PER_CONNECTION = 3000


@dataclass(frozen=True)
class TickerCredentials:
    api_key: str
    access_token: str
    ticker_url: str = TICKER_URL     # the plugin's ZERODHA_TICKER_URL setting

    def __repr__(self) -> str:       # never show the token
        return f"TickerCredentials(api_key={self.api_key!r}, ticker_url={self.ticker_url!r})"


def instrument_token(instrument: FeedInstrument) -> int | None:
    """The Kite token from the master-contract record the proxy looked up (attribute or key `token`)."""
    info = instrument.info
    token = info.get("token") if isinstance(info, dict) else getattr(info, "token", None)
    try:
        return int(token) if token is not None else None
    except ValueError:
        return None


class ZerodhaStreaming(WebSocketFeedAdapter):
    broker = "zerodha"
    depth_levels = (5,)
    max_symbols_per_connection = MAX_INSTRUMENTS_PER_CONNECTION
    stall_timeout = 10.0        # heartbeats arrive every second

    def __init__(self, publisher: TickPublisher, credentials: TickerCredentials, **overrides: Any):
        super().__init__(publisher, credentials, **overrides)
        self._names: dict[int, tuple[str, str]] = {}     # token → (exchange, symbol) as subscribed

    async def upstream_url(self) -> str:
        creds: TickerCredentials = self.credentials
        return f"{creds.ticker_url}?{urlencode({'api_key': creds.api_key, 'access_token': creds.access_token})}"

    def _richest_mode(self, instrument: FeedInstrument) -> int | None:
        wanted = self.wanted_modes(instrument)
        return max(wanted) if wanted else None

    def _tokens_by_mode(self, subs: list[Subscription]) -> dict[int, list[int]]:
        by_mode: dict[int, list[int]] = {}
        for sub in subs:
            token = instrument_token(sub.instrument)
            if token is None:
                log.warning("No Kite instrument token for %s:%s; not subscribed", sub.instrument.exchange,
                            sub.instrument.symbol)
                continue
            self._names[token] = sub.instrument.key
            mode = self._richest_mode(sub.instrument) or sub.mode
            tokens = by_mode.setdefault(mode, [])
            if token not in tokens:
                tokens.append(token)
        return by_mode

    async def send_subscribe(self, conn: Any, subs: list[Subscription]) -> None:
        by_mode = self._tokens_by_mode(subs)
        tokens = sorted({t for group in by_mode.values() for t in group})
        if not tokens:
            return
        await conn.send(json.dumps({"a": "subscribe", "v": tokens}))
        for mode, group in sorted(by_mode.items()):
            await conn.send(json.dumps({"a": "mode", "v": [KITE_MODES[mode], group]}))

    async def send_unsubscribe(self, conn: Any, subs: list[Subscription]) -> None:
        gone, downgraded = [], []
        for sub in subs:
            token = instrument_token(sub.instrument)
            if token is None:
                continue
            if self._richest_mode(sub.instrument) is None:
                gone.append(token)
                self._names.pop(token, None)
            else:
                downgraded.append(sub)
        if gone:
            await conn.send(json.dumps({"a": "unsubscribe", "v": sorted(set(gone))}))
        for mode, group in sorted(self._tokens_by_mode(downgraded).items()):
            await conn.send(json.dumps({"a": "mode", "v": [KITE_MODES[mode], group]}))

    def decode(self, frame: Any) -> Iterable[FeedTick]:
        if isinstance(frame, str):
            self._on_text(frame)
            return
        for packet in decode_frame(frame):
            name = self._names.get(packet["instrument_token"])
            if name is not None:
                yield to_tick(packet, *name)

    def _on_text(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            return
        if message.get("type") == "error":
            log.warning("Kite ticker error: %s", message.get("data"))
