"""A fake broker market-data WebSocket (the network boundary) and the adapter that speaks to it.

The fake speaks a small JSON protocol of its own: `{"a": "sub"|"unsub", "k": ["NSE|SBIN", ...]}` in,
`{"k": "NSE|SBIN", "lp": ..., "b": [[price, qty, orders], ...], ...}` ticks out, every `interval`
seconds per subscribed instrument, at full depth. It enforces a per-connection symbol cap and can be
killed (every connection aborted, listener closed) and restarted on the same port mid-stream.
"""
from __future__ import annotations

import asyncio
import json
import threading
from typing import Any, ClassVar, Iterable

from websockets.asyncio.server import ServerConnection, serve

from broker.streaming import Subscription, WebSocketFeedAdapter
from broker.ticks import DEPTH, FeedTick


class FakeBrokerServer:
    def __init__(self, port: int, interval: float = 0.02, max_symbols: int = 0):
        self.port = port
        self.interval = interval
        self.max_symbols = max_symbols
        self.connections: list[set[str]] = []     # subscribed keys per live connection
        self.subscribe_log: list[list[str]] = []
        self.accepted = 0
        self.frozen = False                       # stop sending (a stalled but open link)
        self.price = 100.0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._server = None
        self._live: set[ServerConnection] = set()
        self.start()

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    def start(self) -> None:
        async def go():
            self._server = await serve(self._handle, "127.0.0.1", self.port)
        self._call(go())

    def kill(self) -> None:
        """Drop everything at once, like a crashed broker endpoint."""
        async def go():
            self._server.close(close_connections=False)
            for conn in list(self._live):
                conn.transport.abort()
            await self._server.wait_closed()
        self._call(go())

    def close(self) -> None:
        self.kill()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    async def _handle(self, conn: ServerConnection) -> None:
        keys: set[str] = set()
        self.accepted += 1
        self._live.add(conn)
        self.connections.append(keys)
        sender = asyncio.create_task(self._stream(conn, keys))
        try:
            async for raw in conn:
                request = json.loads(raw)
                if request["a"] == "sub":
                    self.subscribe_log.append(list(request["k"]))
                    keys.update(request["k"])
                    if self.max_symbols and len(keys) > self.max_symbols:
                        await conn.close(4000, "too many symbols on one connection")
                else:
                    keys.difference_update(request["k"])
        except Exception:
            pass
        finally:
            sender.cancel()
            self._live.discard(conn)
            self.connections.remove(keys)

    async def _stream(self, conn: ServerConnection, keys: set[str]) -> None:
        while True:
            await asyncio.sleep(self.interval)
            if self.frozen:
                continue
            for key in list(keys):
                self.price = round(self.price + 0.05, 2)
                p = self.price
                await conn.send(json.dumps({
                    "k": key, "lp": p, "o": 99.0, "h": p + 1, "l": 98.5, "c": 99.5, "v": 1200, "ltq": 5,
                    "atp": 99.9, "b": [[p - 0.05 * i, 10 * i, i] for i in range(1, 6)],
                    "s": [[p + 0.05 * i, 20 * i, i] for i in range(1, 6)]}))


class FakeBrokerAdapter(WebSocketFeedAdapter):
    broker = "fakebroker"
    depth_levels = (5, 20)
    url: ClassVar[str] = ""

    async def upstream_url(self) -> str:
        return self.url

    async def send_subscribe(self, conn: Any, subs: list[Subscription]) -> None:
        await conn.send(json.dumps({"a": "sub", "k": [f"{s.instrument.exchange}|{s.instrument.symbol}" for s in subs]}))

    async def send_unsubscribe(self, conn: Any, subs: list[Subscription]) -> None:
        # this broker subscribes whole instruments: keep one while any mode of it is still wanted
        keys = {f"{s.instrument.exchange}|{s.instrument.symbol}" for s in subs if not self.wanted_modes(s.instrument)}
        if keys:
            await conn.send(json.dumps({"a": "unsub", "k": sorted(keys)}))

    def decode(self, frame: Any) -> Iterable[FeedTick]:
        f = json.loads(frame)
        exchange, symbol = f["k"].split("|")
        yield FeedTick(exchange=exchange, symbol=symbol, ltp=f["lp"], mode=DEPTH, open=f["o"], high=f["h"],
                   low=f["l"], close=f["c"], volume=f["v"], last_trade_quantity=f["ltq"],
                   avg_trade_price=f["atp"], bids=[tuple(x) for x in f["b"]], asks=[tuple(x) for x in f["s"]])
