"""The two Upstox WebSockets: the market-data feed V3 (protobuf frames) and the portfolio stream feed
(JSON order updates), each on its own local port.

Market-data feed (docs, "Market Data Feed V3"): the client gets a one-time URL from
`GET /v3/feed/market-data-feed/authorize` (or follows the 302 of `/v3/feed/market-data-feed`) and
connects with its `code`; anything else is refused with HTTP 403. On connect it receives a `market_info`
frame; requests are binary (or text) JSON `{"guid", "method": "sub"|"unsub"|"change_mode", "data":
{"mode", "instrumentKeys"}}` (a `sub` without a mode means ltpc); every subscription is answered with an
`initial_feed` snapshot, then `live_feed` frames follow every `interval` seconds. The documented
per-connection caps are enforced (individual: ltpc 5000, option_greeks 3000, full 2000, full_d30 50;
combined when several modes are mixed: ltpc 2000, option_greeks 2000, full 1500): a request that would
exceed them closes the connection with code 1008. One connection per app and user unless
`max_connections` says otherwise. The server can be killed and restarted on the same port, or frozen.

Portfolio stream feed (docs, "Portfolio Stream Feed"): connect with the `code` from
`/v2/feed/portfolio-stream-feed/authorize`; every order change on the REST fake is pushed as a JSON text
message with `update_type: "order"`.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import uuid
import zlib
from typing import Any
from urllib.parse import parse_qs, urlparse

from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Response

from broker.upstox.feed_codec import (FULL, FULL_D30, LTPC, MODES, OPTION_GREEKS, Candle, FeedQuote, Greeks,
                                      encode)
from tests.support.net import free_port
from utils import clock
from tests.websocket_proxy.fake_broker import FakeBrokerServer

INDIVIDUAL_LIMITS = {LTPC: 5000, OPTION_GREEKS: 3000, FULL: 2000, FULL_D30: 50}
COMBINED_LIMITS = {LTPC: 2000, OPTION_GREEKS: 2000, FULL: 1500, FULL_D30: 50}
SEGMENTS_OPEN = {"NSE_EQ": "NORMAL_OPEN", "NSE_FO": "NORMAL_OPEN", "BSE_EQ": "NORMAL_OPEN", "BSE_FO": "NORMAL_OPEN",
                 "MCX_FO": "NORMAL_OPEN", "NCD_FO": "NORMAL_OPEN", "BCD_FO": "NORMAL_OPEN",
                 "NSE_INDEX": "NORMAL_OPEN", "BSE_INDEX": "NORMAL_OPEN"}


def base_price(instrument_key: str) -> float:
    """A stable, instrument-specific price (the same on every run), never a literal in a test."""
    return round(100 + zlib.crc32(instrument_key.encode()) % 90000 / 20, 2)


def over_limit(modes: dict[str, str]) -> str:
    """The mode whose cap the subscriptions `key → mode` exceed, or ''."""
    counts: dict[str, int] = {}
    for mode in modes.values():
        counts[mode] = counts.get(mode, 0) + 1
    limits = INDIVIDUAL_LIMITS if len(counts) <= 1 else COMBINED_LIMITS
    return next((mode for mode, count in counts.items() if count > limits[mode]), "")


class _GatedFeedServer(FakeBrokerServer):
    """A WebSocket reached only with a one-time `code` handed out by the REST authorize calls."""
    path = ""

    def __init__(self, port: int | None, interval: float):
        self.codes: set[str] = set()
        super().__init__(port or free_port(), interval)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{self.path}"

    def issue_code(self) -> str:
        code = str(uuid.uuid4())
        self.codes.add(code)
        return code

    def start(self) -> None:
        async def go() -> None:
            self._server = await serve(self._handle, "127.0.0.1", self.port, process_request=self._check)
        self._call(go())

    def _check(self, conn: ServerConnection, req: Any) -> Response | None:
        code = parse_qs(urlparse(req.path).query).get("code", [""])[0]
        if code not in self.codes:
            return Response(403, "Forbidden", Headers(), b"invalid or used authorization code")
        self.codes.discard(code)
        return self.admit(req)

    def admit(self, req: Any) -> Response | None:
        """Further checks on a request whose code was good; None lets it in."""
        return None


class MarketFeedServer(_GatedFeedServer):
    """The protobuf market-data feed; see the module docstring."""

    path = "/v3/feeds"

    def __init__(self, interval: float = 0.05, max_connections: int = 1, port: int | None = None):
        self.max_connections = max_connections
        self.requests: list[dict[str, Any]] = []        # every request message received
        self.subscriptions: list[dict[str, str]] = []   # key → mode, per live connection
        self.closed_for_limit: list[str] = []
        self._ticks = itertools.count(1)
        super().__init__(port, interval)

    def authorized_url(self) -> str:
        return f"{self.url}?requestId={uuid.uuid4()}&code={self.issue_code()}"

    def admit(self, req: Any) -> Response | None:
        if len(self.subscriptions) >= self.max_connections:
            return Response(403, "Forbidden", Headers(), b"connection limit reached for this app and user")
        return None

    async def _handle(self, conn: ServerConnection) -> None:
        modes: dict[str, str] = {}
        self.accepted += 1
        self._live.add(conn)
        self.subscriptions.append(modes)
        sender = asyncio.create_task(self._stream(conn, modes))
        try:
            await conn.send(encode([], type="market_info", current_ts=self._now_ms(), market_status=SEGMENTS_OPEN))
            async for raw in conn:
                request = json.loads(raw)
                self.requests.append(request)
                await self._apply(conn, modes, request)
        except Exception:
            pass
        finally:
            sender.cancel()
            self._live.discard(conn)
            self.subscriptions.remove(modes)

    async def _apply(self, conn: ServerConnection, modes: dict[str, str], request: dict[str, Any]) -> None:
        method, data = request.get("method"), request.get("data") or {}
        keys = [str(k) for k in data.get("instrumentKeys") or []]
        mode = data.get("mode") or LTPC
        if mode not in MODES:
            return
        if method == "unsub":
            for key in keys:
                modes.pop(key, None)
            return
        if method == "change_mode":
            keys = [key for key in keys if key in modes]
        elif method != "sub":
            return
        wanted = {**modes, **{key: mode for key in keys}}
        exceeded = over_limit(wanted)
        if exceeded:
            self.closed_for_limit.append(exceeded)
            await conn.close(1008, f"subscription limit exceeded for mode {exceeded}")
            return
        modes.update({key: mode for key in keys})
        await conn.send(encode([self.quote(key, mode) for key in keys], type="initial_feed",
                               current_ts=self._now_ms()))

    def quote(self, key: str, mode: str) -> FeedQuote:
        """The update sent for one instrument: its base price plus a small step per tick."""
        ltp = round(base_price(key) + next(self._ticks) % 20 * 0.05, 2)
        close = base_price(key)
        ltt = self._now_ms()
        if mode == LTPC:
            return FeedQuote(key, LTPC, ltp=ltp, last_trade_time=ltt, last_trade_quantity=5, previous_close=close)
        greeks = Greeks(delta=0.52, theta=-11.3, gamma=0.0012, vega=9.4, rho=2.2)
        if mode == OPTION_GREEKS:
            return FeedQuote(key, OPTION_GREEKS, ltp=ltp, last_trade_time=ltt, last_trade_quantity=75,
                             previous_close=close, volume=91500, oi=124000.0, iv=0.142,
                             bids=((round(ltp - 0.05, 2), 150),), asks=((round(ltp + 0.05, 2), 225),), greeks=greeks)
        day = Candle("1d", close, round(ltp + 1, 2), round(close - 1, 2), ltp, 120000, ltt)
        if "INDEX" in key.split("|")[0]:
            return FeedQuote(key, FULL, ltp=ltp, last_trade_time=ltt, previous_close=close, is_index=True,
                             candles=(day,))
        levels = 30 if mode == FULL_D30 else 5
        return FeedQuote(key, mode, ltp=ltp, last_trade_time=ltt, last_trade_quantity=10, previous_close=close,
                         volume=120000, average_price=round(ltp - 0.4, 2), oi=0.0, total_buy_quantity=50000,
                         total_sell_quantity=61000,
                         bids=tuple((round(ltp - 0.05 * i, 2), 100 * i) for i in range(1, levels + 1)),
                         asks=tuple((round(ltp + 0.05 * i, 2), 120 * i) for i in range(1, levels + 1)),
                         candles=(day, Candle("I1", ltp, ltp, ltp, ltp, 10, ltt)))

    async def _stream(self, conn: ServerConnection, modes: dict[str, str]) -> None:
        while True:
            await asyncio.sleep(self.interval)
            if self.frozen or not modes:
                continue
            await conn.send(encode([self.quote(k, m) for k, m in list(modes.items())], type="live_feed",
                                   current_ts=self._now_ms()))

    @staticmethod
    def _now_ms() -> int:
        return int(clock.now().timestamp() * 1000)


class PortfolioFeedServer(_GatedFeedServer):
    """The portfolio stream feed: order updates as JSON text messages."""

    path = "/order-updates/feed"

    def __init__(self, port: int | None = None):
        self.update_types: list[list[str]] = []
        super().__init__(port, interval=1.0)

    def authorized_url(self, update_types: str = "order") -> str:
        return f"{self.url}?requestId={uuid.uuid4()}&code={self.issue_code()}&update_types={update_types}"

    def admit(self, req: Any) -> Response | None:
        types = parse_qs(urlparse(req.path).query).get("update_types", ["order"])[0]
        self.update_types.append(types.split(","))
        return None

    async def _handle(self, conn: ServerConnection) -> None:
        self.accepted += 1
        self._live.add(conn)
        try:
            async for _ in conn:      # nothing is expected from the client
                pass
        except Exception:
            pass
        finally:
            self._live.discard(conn)

    def publish(self, update: dict[str, Any]) -> None:
        """Push one update to every connected client (called from the REST server's threads)."""
        if self.frozen or not self._live or self._loop.is_closed() or not self._loop.is_running():
            return
        text = json.dumps(update)

        async def go() -> None:
            for conn in list(self._live):
                try:
                    await conn.send(text)
                except Exception:
                    pass
        asyncio.run_coroutine_threadsafe(go(), self._loop)
