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

Quotes: a quote of an instrument fetched less than one slot of the broker's quote budget ago is answered
again (see `quote`), so a basket of orders on one symbol, or an order followed by a book read, does not
wait a slot per call.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from broker.contract import BrokerPlugin, BrokerSession, CapabilityMap, Instrument, Quote
from broker.contract.manifest import DEFAULT_RATE_LIMITS
from broker.rate_limit import slot_seconds

TICKS_KEPT = 4096    # per instrument: the window resting orders are matched over between two checks
INSTRUMENTS_KEPT = 2048   # instruments with recorded ticks; the least recently ticked one is forgotten
STREAM_FRESH = 5.0   # seconds a streamed tick vouches for the instrument's price (no quote call needed)


def quote_reuse_seconds(capabilities: CapabilityMap) -> float:
    """One slot of the broker's declared quote budget (`rate_limits["quotes"]`, else the default):
    Kite's 1/second → 1.0 s, a broker allowing 10/second → 0.1 s."""
    budget = capabilities.rate_limits.get("quotes", DEFAULT_RATE_LIMITS["quotes"])
    return slot_seconds(budget)


@dataclass
class LiveMarketView:
    plugin: BrokerPlugin
    session: BrokerSession
    find: Callable[[str, str], Instrument | None]   # (symbol, exchange) → master-contract row
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
    on_stream: Callable[[], None] | None = None      # told after each streamed tick (the matcher wakes)
    _ticks: OrderedDict[tuple[str, str], deque] = field(default_factory=OrderedDict)
    _streamed_at: dict[tuple[str, str], float] = field(default_factory=dict)
    # (exchange, symbol) → (time.monotonic() when fetched, quote); at most INSTRUMENTS_KEPT, least recent out
    _quotes: OrderedDict[tuple[str, str], tuple[float, Quote]] = field(default_factory=OrderedDict)
    _fetching: dict[tuple[str, str], threading.Event] = field(default_factory=dict)   # quote calls under way
    _lock: threading.Lock = field(default_factory=threading.Lock)
    quote_reuse: float = field(init=False)   # seconds a fetched quote is answered again (quote_reuse_seconds)

    def __post_init__(self) -> None:
        self.quote_reuse = quote_reuse_seconds(self.plugin.capabilities)

    @property
    def broker(self) -> str:
        return self.plugin.name

    def instrument(self, symbol: str, exchange: str) -> Instrument | None:
        return self.find(symbol, exchange)

    def quote(self, instrument: Instrument, at: datetime | None = None) -> Quote:
        """The live broker's quote, recorded as a tick at `at` (default: the view's clock).

        A quote of the same instrument fetched less than `quote_reuse` seconds ago (one slot of the
        broker's quote budget) is answered again: a fresher quote can't be had without waiting for the
        broker's budget (broker/rate_limit.py makes the call wait for a slot), so it is reused instead of
        blocking the order. Its age is measured on time.monotonic, not the view's clock (which may be
        shifted or frozen). Callers asking while the same instrument's quote is being fetched wait for
        that answer instead of spending a slot of their own. A reused quote is recorded as a tick at `at`
        only while its price is still the instrument's last recorded one and `at` is later: the same price
        again, never a stale price after a newer (streamed) tick."""
        key = (instrument.exchange, instrument.symbol)
        at = at or self.clock()
        while True:
            with self._lock:
                reused = self._fresh_quote(key)
                if reused is not None:
                    if reused.ltp:
                        self._repeat(key, float(reused.ltp), at)
                    return reused
                fetching = self._fetching.get(key)
                if fetching is None:
                    fetching = self._fetching[key] = threading.Event()
                    break
            fetching.wait()   # its answer is reused; if it failed, this caller asks the broker itself
        try:
            quote = self.plugin.data.quote(self.session, instrument)
            with self._lock:
                self._quotes[key] = (time.monotonic(), quote)
                self._quotes.move_to_end(key)
                if len(self._quotes) > INSTRUMENTS_KEPT:
                    self._quotes.popitem(last=False)
                if quote.ltp:
                    self._append(key, float(quote.ltp), at)
        finally:
            with self._lock:
                self._fetching.pop(key, None)
            fetching.set()
        return quote

    def _fresh_quote(self, key: tuple[str, str]) -> Quote | None:
        cached = self._quotes.get(key)
        if cached is None or time.monotonic() - cached[0] >= self.quote_reuse:
            return None
        return cached[1]

    def _repeat(self, key: tuple[str, str], ltp: float, at: datetime) -> None:
        """A reused quote's price as a tick at `at`, when that is the same price again later (nothing
        else was recorded since the quote): matching sees no price the broker did not publish last."""
        ticks = self._ticks.get(key)
        if ticks is None or (ticks[-1][1] == ltp and at.timestamp() > ticks[-1][0]):
            self._append(key, ltp, at)

    def record(self, exchange: str, symbol: str, ltp: float, at: datetime) -> None:
        with self._lock:
            self._append((exchange, symbol), ltp, at)

    def _append(self, key: tuple[str, str], ltp: float, at: datetime) -> None:
        """Record a tick; the caller holds the lock."""
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
