"""The broker contract's streaming face (`BrokerPlugin.streaming`) over a proxy streaming adapter.

The WebSocket proxy runs adapters (broker/streaming.py) on its own event loop and publishes their ticks
to ZeroMQ. Other callers of a plugin's `streaming(session, on_tick)` get a `ThreadedStream`: the same
adapter on an event-loop thread of its own, each tick handed to a callback as a contract `Tick`.
"""
from __future__ import annotations

import asyncio
import json
import threading
from typing import Any, Callable, Iterable

from broker.contract import Instrument as ContractInstrument
from broker.contract import Tick as ContractTick
from broker.streaming import Instrument, StreamingAdapter


class _CallbackPublisher:
    """Stands in for the ZeroMQ publisher: each encoded message reaches a callback as a contract Tick."""

    def __init__(self, on_tick: Callable[[ContractTick], None]):
        self.on_tick = on_tick

    def publish(self, topic: str, payload: bytes) -> None:
        message = json.loads(payload)
        data = message["data"]
        self.on_tick(ContractTick(symbol=message["symbol"], exchange=message["exchange"], mode=message["mode"],
                                  ltp=data["ltp"], timestamp_ms=data["timestamp"], raw=message))

    def close(self) -> None:
        return None


class ThreadedStream:
    """The broker contract's streaming face (connect / subscribe(instruments, mode) / unsubscribe / close,
    ticks to a callback) over the proxy's asyncio adapter, run on its own event-loop thread. The WebSocket
    proxy does not need this (it calls `create_adapter` on its own loop); other callers do."""

    def __init__(self, build: Callable[[Any], StreamingAdapter], on_tick: Callable[[ContractTick], None]):
        self._build = build
        self._publisher = _CallbackPublisher(on_tick)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.adapter: StreamingAdapter | None = None

    def connect(self) -> None:
        """Start the adapter; the upstream connection opens with the first subscription."""
        if self._loop is not None:
            return
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"stream-{id(self):x}", daemon=True)
        self._thread.start()
        self.adapter = self._build(self._publisher)

    def _each(self, method: str, instruments: Iterable[ContractInstrument], mode: int) -> None:
        self.connect()
        for instrument in instruments:
            target = Instrument(instrument.exchange, instrument.symbol, instrument)
            self._loop.call_soon_threadsafe(getattr(self.adapter, method), target, mode)

    def subscribe(self, instruments: Iterable[ContractInstrument], mode: int) -> None:
        self._each("subscribe", instruments, mode)

    def unsubscribe(self, instruments: Iterable[ContractInstrument], mode: int) -> None:
        self._each("unsubscribe", instruments, mode)

    def close(self) -> None:
        if self._loop is None:
            return
        asyncio.run_coroutine_threadsafe(self.adapter.close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
        self._loop = None
