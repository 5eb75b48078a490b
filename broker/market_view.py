"""A read-only view of a connected live broker's market, for the sandbox (analyzer mode).

The paper engine fills analyzer-mode orders at the market the user sees: instruments, lot and tick
sizes from the live broker's master contract, the touch from its quotes, and the prices it streams.
This view is everything the engine may ask of the live broker; it has no order method, so nothing the
sandbox does can reach a live order endpoint. Built by the app (services) from the user's live plugin,
session and master-contract cache; handed to the paper plugin's `BrokerPlugin.sandbox` hook.

Ticks: `record(exchange, symbol, ltp, at)` keeps the last prices each instrument traded at (a bounded
window per instrument); every quote the view fetches is recorded too, so the prices resting orders are
matched against are the ones the live broker published, in order.
"""
from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from broker.contract import BrokerPlugin, BrokerSession, Instrument, Quote

TICKS_KEPT = 4096    # per instrument: the window resting orders are matched over between two checks


@dataclass
class LiveMarketView:
    plugin: BrokerPlugin
    session: BrokerSession
    find: Callable[[str, str], Instrument | None]   # (symbol, exchange) → master-contract row
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
    _ticks: dict[tuple[str, str], deque] = field(default_factory=dict)
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
        with self._lock:
            ticks = self._ticks.get((exchange, symbol))
            if ticks is None:
                ticks = self._ticks[(exchange, symbol)] = deque(maxlen=TICKS_KEPT)
            ticks.append((at.timestamp(), ltp))

    def ticks(self, exchange: str, symbol: str, since: datetime, until: datetime) -> list[tuple[float, float]]:
        """(epoch seconds, price) of the ticks in (since, until], oldest first."""
        start, end = since.timestamp(), until.timestamp()
        with self._lock:
            return [tick for tick in self._ticks.get((exchange, symbol), ()) if start < tick[0] <= end]

    def last(self, exchange: str, symbol: str) -> float | None:
        with self._lock:
            ticks = self._ticks.get((exchange, symbol))
            return ticks[-1][1] if ticks else None
