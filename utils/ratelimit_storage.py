"""Rate-limit storage for every limit of the server (REST API, logins, webhooks, broker budgets).

`storage_uri(RATELIMIT_STORAGE_URI)` names the storage for `limits.storage.storage_from_string`:
Redis as configured (shared by every process), and memory:// served by `SweptMemoryStorage`.
"""
from __future__ import annotations

import threading
import time
import weakref

from limits.storage import MemoryStorage


class SweptMemoryStorage(MemoryStorage):
    """limits' in-memory storage, swept by one thread per process instead of a timer thread per hit.

    MemoryStorage starts a 10 ms `threading.Timer` on a hit whenever the previous timer has finished,
    which at a few hundred requests per second means starting a thread every few requests: a large
    share of a fast endpoint's cost. Windows are judged by the entries' timestamps, so expired entries
    only take memory until a sweep; sweeping once a second is enough. Every storage of the process
    (the app's, each broker budget's, every app a test suite builds) shares the one sweeper, which
    holds them weakly.
    """
    STORAGE_SCHEME = ["openalgo-memory"]
    SWEEP_SECONDS = 1.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        _sweeper.add(self)

    def _MemoryStorage__schedule_expiry(self) -> None:  # the per-hit timer of the base class
        return None

    def sweep(self) -> None:
        """Drop the entries whose windows have passed."""
        self._MemoryStorage__expire_events()


class _Sweeper:
    """The process's one sweeper thread, started with the first storage."""

    def __init__(self) -> None:
        self._storages: weakref.WeakSet[SweptMemoryStorage] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, storage: SweptMemoryStorage) -> None:
        with self._lock:
            self._storages.add(storage)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="ratelimit-sweeper", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(SweptMemoryStorage.SWEEP_SECONDS)
            with self._lock:
                storages = list(self._storages)
            for storage in storages:
                storage.sweep()
            del storages


_sweeper = _Sweeper()


def storage_uri(configured: str) -> str:
    """RATELIMIT_STORAGE_URI, with memory:// served by `SweptMemoryStorage`."""
    return "openalgo-memory://" if configured.startswith("memory://") else configured
