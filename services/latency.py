"""Where a request's time went: named stages (validation, broker, journal) and the total, in ms."""
from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator


class LatencyTimer:
    def __init__(self) -> None:
        self._started = time.perf_counter()
        self.stages: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.stages[name] = self.stages.get(name, 0.0) + (time.perf_counter() - began) * 1000

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self._started) * 1000

    def as_dict(self) -> dict[str, float]:
        return {**{k: round(v, 3) for k, v in self.stages.items()}, "total": round(self.elapsed_ms(), 3)}
