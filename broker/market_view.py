"""A read-only view of a connected live broker's market, for the sandbox (analyzer mode).

The paper engine fills analyzer-mode orders at the market the user sees: instruments, lot and tick
sizes from the live broker's master contract, the touch from its quotes, and the prices it streams.
This view is everything the engine may ask of the live broker; it has no order method, so nothing the
sandbox does can reach a live order endpoint. Built by the app (services) from the user's live plugin,
session and master-contract cache; handed to the paper plugin's `BrokerPlugin.sandbox` hook.

Ticks: `record(exchange, symbol, ltp, at)` keeps the last prices each instrument traded at (a bounded
window per instrument, for a bounded number of instruments); every quote the view fetches is recorded
too, so the prices resting orders are matched against are the ones the live broker published, in
order. `streamed(...)` records a tick of the live feed (the WebSocket proxy's bus, services/sandbox_ticks.py)
and calls `on_stream` (the paper engine's matcher wakes); while an instrument streams, the engine
needs no quote call to match it (`streaming`).
"""
from __future__ import annotations

import threading
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from broker.contract import BrokerPlugin, BrokerSession, Instrument, Quote

TICKS_KEPT = 4096    # per instrument: the window resting orders are matched over between two checks
INSTRUMENTS_KEPT = 2048   # instruments with recorded ticks; the least recently ticked one is forgotten
STREAM_FRESH = 5.0   # seconds a streamed tick vouches for the instrument's price (no quote call needed)


@dataclass
class LiveMarketView:
    plugin: BrokerPlugin
    session: BrokerSession
    find: Callable[[str, str], Instrument | None]   # (symbol, exchange) → master-contract row
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
    on_stream: Callable[[], None] | None = None      # told after each streamed tick (the matcher wakes)
    _ticks: OrderedDict[tuple[str, str], deque] = field(default_factory=OrderedDict)
    _streamed_at: dict[tuple[str, str], float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def broker(self) -> str:
        return self.plugin.name

    def instrument(self, symbol: str, exchange: str) -> Instrument | None:
        return self.find(symbol, exchange)

    def quote(self, instrument: Instrument, at: datetime | None = None) -> Quote:
        """The live broker's quote, recorded as a tick at `at` (default: the view's clock)."""
        quote = self.plugin.data.quote(self.session, instrument)
        if quote.ltp:
            self.record(instrument.exchange, instrument.symbol, float(quote.ltp), at or self.clock())
        return quote

    def record(self, exchange: str, symbol: str, ltp: float, at: datetime) -> None:
        key = (exchange, symbol)
        with self._lock:
            ticks = self._ticks.get(key)
            if ticks is None:
                ticks = self._ticks[key] = deque(maxlen=TICKS_KEPT)
                if len(self._ticks) > INSTRUMENTS_KEPT:
                    forgotten, _ = self._ticks.popitem(last=False)
                    self._streamed_at.pop(forgotten, None)
            else:
                self._ticks.move_to_end(key)
            ticks.append((at.timestamp(), ltp))

    def streamed(self, exchange: str, symbol: str, ltp: float) -> None:
        """A tick of the live broker's feed, recorded now (the view's clock); wakes `on_stream`."""
        at = self.clock()
        self.record(exchange, symbol, ltp, at)
        with self._lock:
            if (exchange, symbol) in self._ticks:
                self._streamed_at[(exchange, symbol)] = at.timestamp()
        if self.on_stream is not None:
            self.on_stream()

    def has_tick_at(self, exchange: str, symbol: str, at: datetime) -> bool:
        """True when a tick is recorded at `at` or later (the price at `at` is known)."""
        with self._lock:
            ticks = self._ticks.get((exchange, symbol))
            return bool(ticks) and ticks[-1][0] >= at.timestamp()

    def streaming(self, exchange: str, symbol: str, at: datetime) -> bool:
        """True while the feed streams this instrument (a tick within STREAM_FRESH seconds of `at`)."""
        with self._lock:
            last = self._streamed_at.get((exchange, symbol))
        return last is not None and at.timestamp() - last <= STREAM_FRESH

    def ticks(self, exchange: str, symbol: str, since: datetime, until: datetime) -> list[tuple[float, float]]:
        """(epoch seconds, price) of the ticks in (since, until], oldest first."""
        start, end = since.timestamp(), until.timestamp()
        with self._lock:
            return [tick for tick in self._ticks.get((exchange, symbol), ()) if start < tick[0] <= end]

    def last(self, exchange: str, symbol: str) -> float | None:
        with self._lock:
            ticks = self._ticks.get((exchange, symbol))
            return ticks[-1][1] if ticks else None
