"""In-process symbol ⇄ token lookups over the master contract, refreshed when a new contract lands.

Every order and quote resolves a symbol, so lookups are served from memory. Each broker has a bounded
LRU of rows (misses are remembered too). Before answering, the cache compares its version with the
broker's `master_contract_status.version` — one indexed primary-key read, at most every
VERSION_CHECK_SECONDS — so a download done by any process (CLI, another worker) empties every other
process's cache within that time. Reads use their own short connection, never the caller's session
(a lookup must not commit or roll back a service's unit of work). Needs an app context.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any, Callable

from flask import Flask, current_app, has_app_context
from sqlalchemy import select

from broker.contract import Instrument
from database import db
from database.symtoken import SymToken
from services import master_contract
from utils.symbols import parse_master_expiry

VERSION_CHECK_SECONDS = 2.0
MAX_ENTRIES = 100_000
_MISSING = object()
_c = SymToken.__table__.c


def to_instrument(row: Any) -> Instrument:
    return Instrument(symbol=row.symbol, brsymbol=row.brsymbol, name=row.name, exchange=row.exchange,
                      brexchange=row.brexchange, token=row.token,
                      expiry=row.expiry_date or parse_master_expiry(row.expiry), strike=row.strike,
                      lotsize=row.lotsize, tick_size=row.tick_size, instrumenttype=row.instrumenttype,
                      freeze_qty=row.freeze_qty)


class InstrumentCache:
    """The `SymbolLookup` of one broker (see broker.contract.SymbolLookup)."""

    def __init__(self, broker: str, *, max_entries: int = MAX_ENTRIES,
                 check_every: float = VERSION_CHECK_SECONDS, clock: Callable[[], float] = time.monotonic,
                 app: Flask | None = None):
        """`app`: the app whose database is read when a lookup comes from a thread outside any app
        context (a broker's order-update feed running in the WebSocket proxy)."""
        self.broker = broker
        self._app = app
        self._entries: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._max_entries = max_entries
        self._check_every = check_every
        self._clock = clock
        self._version: int | None = None
        self._checked_at = float("-inf")

    def by_symbol(self, symbol: str, exchange: str) -> Instrument | None:
        return self._get(("symbol", symbol, exchange),
                         lambda: [_c.symbol == symbol, _c.exchange == exchange])

    def by_brsymbol(self, brsymbol: str, brexchange: str) -> Instrument | None:
        return self._get(("brsymbol", brsymbol, brexchange),
                         lambda: [_c.brsymbol == brsymbol, _c.brexchange == brexchange])

    def by_token(self, token: str, exchange: str | None = None) -> Instrument | None:
        conditions = [_c.token == str(token)] + ([_c.exchange == exchange] if exchange else [])
        return self._get(("token", str(token), exchange), lambda: conditions)

    def invalidate(self) -> None:
        with self._lock:
            self._entries.clear()
            self._version = None
            self._checked_at = float("-inf")

    def _refresh_if_stale(self) -> None:
        now = self._clock()
        if now - self._checked_at < self._check_every:
            return
        version = master_contract.current_version(self.broker)
        with self._lock:
            self._checked_at = now
            if version != self._version:
                self._entries.clear()
                self._version = version

    def _get(self, key: tuple, conditions: Callable[[], list]) -> Instrument | None:
        if self._app is not None and not has_app_context():
            with self._app.app_context():
                return self._get(key, conditions)
        self._refresh_if_stale()
        with self._lock:
            found = self._entries.get(key, _MISSING)
            if found is not _MISSING:
                self._entries.move_to_end(key)
                return found
        table = SymToken.__table__
        with db.engine.connect() as connection:
            row = connection.execute(select(table).where(table.c.broker == self.broker, *conditions())
                                     .order_by(table.c.id).limit(1)).first()
        instrument = to_instrument(row) if row is not None else None
        with self._lock:
            self._entries[key] = instrument
            if len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return instrument


_EXTENSION = "openalgo.instrument_caches"
_caches_lock = threading.Lock()


def cache_for(broker: str, app: Flask | None = None) -> InstrumentCache:
    """The app's cache of `broker` (one per broker and app, shared by all threads)."""
    owner = app or current_app._get_current_object()
    caches = owner.extensions.setdefault(_EXTENSION, {})
    with _caches_lock:
        return caches.setdefault(broker, InstrumentCache(broker, app=owner))


def find_instrument(broker: str, symbol: str, exchange: str) -> Instrument | bool | None:
    """The feed's symbol check: the instrument when the broker's master contract knows it, None when the
    contract is loaded but lacks it, True when no contract was ever loaded (nothing to check against;
    the adapter then skips what it cannot price)."""
    found = cache_for(broker).by_symbol(symbol, exchange)
    if found is not None:
        return found
    from services.master_contract import current_version

    return None if current_version(broker) else True
