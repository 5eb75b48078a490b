"""A small closed-loop HTTP load generator for the benchmarks: N threads, one keep-alive connection each.

Kept dependency-free (http.client) so the client's own overhead stays small and equal for every
endpoint measured, including the floor.
"""
from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable


@dataclass
class LoadResult:
    name: str
    concurrency: int
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")


def run_load(name: str, host: str, port: int, method: str, path: str,
             body: Callable[[int], dict[str, Any]] | dict[str, Any] | None, *,
             concurrency: int, duration: float, expect_status: int = 200) -> LoadResult:
    """Send requests from `concurrency` threads for `duration` seconds; count non-`expect_status` as errors."""
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    deadline = time.perf_counter() + duration
    start_barrier = threading.Barrier(concurrency + 1)

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=30)
        headers = {"Content-Type": "application/json"}
        start_barrier.wait()
        n = 0
        while time.perf_counter() < deadline:
            payload = body(index * 1_000_000 + n) if callable(body) else body
            data = json.dumps(payload).encode() if payload is not None else None
            began = time.perf_counter()
            connection.request(method, path, body=data, headers=headers if data else {})
            response = connection.getresponse()
            response.read()
            latencies[index].append((time.perf_counter() - began) * 1000)
            if response.status != expect_status:
                errors[index] += 1
            n += 1
        connection.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    start_barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    flat = [value for per_thread in latencies for value in per_thread]
    return LoadResult(name, concurrency, len(flat), sum(errors), elapsed, flat)
