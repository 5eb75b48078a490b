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
    """limits' in-memory storage with one sweeper thread instead of a new timer thread per hit.

    MemoryStorage starts a 10 ms `threading.Timer` on a hit whenever the previous timer has finished,
    which at a few hundred requests per second means starting a thread every few requests: a large
    share of a fast endpoint's cost. Windows are judged by the entries' timestamps, so expired entries
    only take memory until a sweep; sweeping once a second is enough.
    """
    STORAGE_SCHEME = ["openalgo-memory"]
    SWEEP_SECONDS = 1.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        threading.Thread(target=_sweep, args=(weakref.ref(self),), name="ratelimit-sweeper", daemon=True).start()

    def _MemoryStorage__schedule_expiry(self) -> None:  # the per-hit timer of the base class
        return None


def _sweep(storage_ref: "weakref.ref[SweptMemoryStorage]") -> None:
    while True:
        time.sleep(SweptMemoryStorage.SWEEP_SECONDS)
        storage = storage_ref()
        if storage is None:   # the app that owned it is gone
            return
        storage._MemoryStorage__expire_events()
        del storage


def storage_uri(configured: str) -> str:
    """RATELIMIT_STORAGE_URI, with memory:// served by `SweptMemoryStorage`."""
    return "openalgo-memory://" if configured.startswith("memory://") else configured
