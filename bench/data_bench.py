"""Market-data and symbol endpoints over HTTP (issue 6, item 7): quotes, multiquotes of 50 symbols, history
of one year of 5-minute bars, and search, against `GET /health` measured in the same run as the floor.

Starts `python app.py` with a CLI-made user, key and paper session (as tests/api/server.py does), drives it
with bench/http_load.py (keep-alive threads) and prints one row per endpoint:

    .venv/bin/python bench/data_bench.py [--duration 5] [--concurrency 4]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402

from bench.http_load import LoadResult, run_load  # noqa: E402
from tests.api.server import prepared_server  # noqa: E402


def scenarios(host: str, key: str) -> list[tuple[str, str, str, dict | None, int]]:
    """(name, method, path, body, concurrency divisor) per measured endpoint."""
    nse = requests.get(f"{host}/api/v1/instruments", params={"apikey": key, "exchange": "NSE"}, timeout=30).json()
    symbols = [{"symbol": row["symbol"], "exchange": "NSE"} for row in nse["data"][:50]]
    assert len(symbols) == 50, "the paper master contract should list 50 NSE symbols"
    end = date.today() - timedelta(days=1)
    return [
        ("floor: GET /health", "GET", "/health", None, 1),
        ("quotes (1 symbol)", "POST", "/api/v1/quotes", {"apikey": key, "symbol": "SBIN", "exchange": "NSE"}, 1),
        ("multiquotes (50 symbols)", "POST", "/api/v1/multiquotes", {"apikey": key, "symbols": symbols}, 1),
        ("search 'NIFTY 27000 CE'", "POST", "/api/v1/search", {"apikey": key, "query": "NIFTY 27000 CE"}, 1),
        ("history 1 year of 5m", "POST", "/api/v1/history",
         {"apikey": key, "symbol": "SBIN", "exchange": "NSE", "interval": "5m",
          "start_date": str(end - timedelta(days=365)), "end_date": str(end)}, 4),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per endpoint")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = prepared_server(Path(tmp), LOG_LEVEL="WARNING")
        server.start()
        try:
            results: list[LoadResult] = []
            for name, method, path, body, divisor in scenarios(server.host, server.key):
                run_load(name, "127.0.0.1", server.port, method, path, body, concurrency=1, duration=0.5)  # warm up
                results.append(run_load(name, "127.0.0.1", server.port, method, path, body,
                                        concurrency=max(1, args.concurrency // divisor), duration=args.duration))
        finally:
            server.stop()
    floor = results[0]
    print(f"{'endpoint':<28} {'conc':>4} {'req':>6} {'err':>4} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'p50/floor':>10}")
    for r in results:
        print(f"{r.name:<28} {r.concurrency:>4} {r.requests:>6} {r.errors:>4} {r.rps:>9.1f} {r.p50:>9.2f} "
              f"{r.percentile(99):>9.2f} {r.p50 / floor.p50:>10.1f}")
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
