"""Upstox master-contract load speed: a 100,000-row Upstox instrument file (the gzipped JSON of
assets.upstox.com, in its field layout: equities, then futures and option chains of many underlyings)
through the plugin's own loader and parser (broker/upstox/instruments.py) and the real load path
(validate, stage, swap), on SQLite and PostgreSQL. Same target and floor as master_contract_bench.py.

    .venv/bin/python bench/upstox_master_bench.py [--rows 100000] [--postgres postgresql://postgres@127.0.0.1:5432/test]
"""
from __future__ import annotations

import gzip
import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from master_contract_bench import TARGET_SECONDS, arguments, measure_backends, print_table, timed_parse  # noqa: E402

from broker.upstox.instruments import UpstoxMasterContract, parse_instruments, read_master  # noqa: E402

IST = timezone(timedelta(hours=5, minutes=30))


def master_bytes(count: int) -> bytes:
    rows: list[dict[str, Any]] = []
    for n in range(min(count // 10, 5000)):
        rows.append({"segment": "NSE_EQ", "name": f"COMPANY {n}", "exchange": "NSE", "isin": f"INE{n:09d}",
                     "instrument_type": "EQ", "instrument_key": f"NSE_EQ|INE{n:09d}", "lot_size": 1,
                     "freeze_quantity": 100000.0, "exchange_token": str(n + 1), "tick_size": 5.0,
                     "trading_symbol": f"EQ{n}", "short_name": f"Company {n}", "security_type": "NORMAL"})
    token, underlying = 1_000_000, 0
    first_expiry = datetime(2030, 1, 3, 23, 59, 59, tzinfo=IST)
    while len(rows) < count:
        base = f"UND{underlying}"
        for week in range(4):
            expiry = first_expiry + timedelta(days=7 * week)
            stamp = int(expiry.timestamp() * 1000)
            common = {"weekly": week < 3, "segment": "NSE_FO", "name": base, "exchange": "NSE", "expiry": stamp,
                      "asset_symbol": base, "underlying_symbol": base, "lot_size": 50, "freeze_quantity": 1800.0,
                      "minimum_lot": 50, "asset_key": f"NSE_INDEX|{base}", "underlying_key": f"NSE_INDEX|{base}",
                      "tick_size": 5.0, "asset_type": "INDEX", "underlying_type": "INDEX", "qty_multiplier": 1.0}
            token += 1
            rows.append({**common, "instrument_type": "FUT", "instrument_key": f"NSE_FO|{token}",
                         "exchange_token": str(token), "trading_symbol": f"{base} FUT {expiry:%d %b %y}".upper(),
                         "strike_price": 0.0})
            for k in range(60):
                for kind in ("CE", "PE"):
                    token += 1
                    strike = 1000 + 10 * k
                    rows.append({**common, "instrument_type": kind, "instrument_key": f"NSE_FO|{token}",
                                 "exchange_token": str(token), "strike_price": float(strike),
                                 "trading_symbol": f"{base} {strike} {kind} {expiry:%d %b %y}".upper()})
        underlying += 1
    return gzip.compress(json.dumps(rows[:count]).encode())


class _File:
    """Stands in for the HTTP client: hands over the downloaded bytes."""

    def __init__(self, data: bytes):
        self.data = data

    def content(self, url: str) -> bytes:
        return self.data


def main() -> int:
    args = arguments(__doc__)
    data = master_bytes(args.rows)
    rows, parse_seconds = timed_parse(lambda: parse_instruments(read_master(data)), args.rows)
    results = measure_backends(args.postgres, rows, UpstoxMasterContract(_File(data)))
    print(f"\nUpstox master contract load, {len(rows):,} instruments (target < {TARGET_SECONDS:.0f} s); "
          f"gunzip + JSON + parse alone {parse_seconds:.2f} s ({len(rows) / parse_seconds:,.0f} rows/s)")
    return 0 if print_table(len(rows), results) else 1


if __name__ == "__main__":
    sys.exit(main())
