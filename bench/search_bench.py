"""Symbol search over 100,000 instruments: p50/p99 per typical query against floors from the same run.

Run: .venv/bin/python bench/search_bench.py [--instruments 100000] [--repeat 200]

Floors, measured on the same data in the same process:
* dict lookup  — one exact-symbol dict lookup (the cheapest conceivable answer);
* str.find     — one C-level substring scan of all haystacks joined into one string (what a single
                 naive pass costs per term, before any Python per-row work).
The target (issue 6) is p99 < 10 ms for every query.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.symbol_search import SymbolIndex  # noqa: E402
from utils.symbols import future_symbol, master_expiry, option_symbol  # noqa: E402

INDICES = {"NIFTY": (26000, 50, 75), "BANKNIFTY": (59500, 100, 35), "FINNIFTY": (27500, 50, 65),
           "MIDCPNIFTY": (13500, 25, 140), "SENSEX": (85000, 100, 20), "BANKEX": (63000, 100, 30)}
QUERIES = ["NIFTY", "nifty 26000", "NIFTY 26000 CE", "BANKNIFTY 59500 PE", "RELIANCE", "TATA", "TATASTEEL FUT",
           "INFY", "crudeoil", "SENSEX 85000", "HDFC BANK", "STK0123", "ZZZNOMATCH", "5", "CE"]


def instruments(count: int, seed: int = 7) -> list[dict]:
    """Equities on NSE and BSE, index and stock futures, weekly and monthly option chains, MCX contracts."""
    rng = random.Random(seed)
    rows: list[dict] = []
    seen: set[tuple[str, str]] = set()
    token = 1000

    def add(symbol: str, brsymbol: str, name: str, exchange: str, expiry: date | None = None,
            strike: float = -1.0, kind: str = "EQ", lot: int = 1) -> None:
        nonlocal token
        if (symbol, exchange) in seen:
            return
        seen.add((symbol, exchange))
        token += 1
        rows.append({"symbol": symbol, "brsymbol": brsymbol, "name": name, "exchange": exchange, "brexchange": exchange,
                     "token": str(token), "expiry": master_expiry(expiry), "strike": strike, "lotsize": lot,
                     "instrumenttype": kind, "tick_size": 0.05})

    stocks = ["RELIANCE", "TATASTEEL", "TATAMOTORS", "TATAPOWER", "INFY", "HDFCBANK", "ICICIBANK", "SBIN", "TCS", "M&M"]
    stocks += [f"STK{i:04d}" for i in range(2000)]
    for stock in stocks:
        for exchange in ("NSE", "BSE"):
            add(stock, f"{stock}-EQ", f"{stock.title()} Limited", exchange)
    today = date(2026, 1, 5)
    expiries = [today + timedelta(days=7 * k + 1) for k in range(12)]
    for stock in stocks[:200]:
        for expiry in expiries[3::4]:
            add(future_symbol(stock, expiry), f"{stock}{expiry:%y%b}FUT".upper(), stock, "NFO", expiry, kind="FUTSTK")
    for base, (spot, step, lot) in INDICES.items():
        exchange = "BFO" if base in ("SENSEX", "BANKEX") else "NFO"
        for expiry in expiries:
            add(future_symbol(base, expiry), f"{base}{expiry:%y%b}FUT".upper(), base, exchange, expiry,
                kind="FUTIDX", lot=lot)
            for strike in range(spot - 60 * step, spot + 61 * step, step):
                for kind in ("CE", "PE"):
                    add(option_symbol(base, expiry, strike, kind), f"{base}{expiry:%y%m%d}{strike}{kind}", base,
                        exchange, expiry, float(strike), kind, lot)
    for expiry in expiries[::2]:
        add(future_symbol("CRUDEOIL", expiry), f"CRUDEOIL{expiry:%y%b}FUT".upper(), "CRUDEOIL", "MCX", expiry,
            kind="FUTCOM", lot=100)
    for stock in stocks[:300]:   # stock option chains fill the rest
        spot = rng.randint(100, 5000)
        step = 10 if spot < 1000 else 50
        for expiry in expiries[3::4]:
            for strike in range(spot - 40 * step, spot + 41 * step, step):
                for kind in ("CE", "PE"):
                    if len(rows) >= count:
                        return rows
                    add(option_symbol(stock, expiry, strike, kind), f"{stock}{expiry:%y%b}{strike}{kind}".upper(),
                        stock, "NFO", expiry, float(strike), kind, 500)
    return rows[:count]


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def measure(fn, repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), percentile(samples, 99)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instruments", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()

    rows = instruments(args.instruments)
    start = time.perf_counter()
    index = SymbolIndex(rows)
    build = time.perf_counter() - start
    print(f"{len(index):,} instruments, index built in {build:.2f} s\n")

    by_symbol = {row["symbol"]: row for row in rows}
    joined = "\n".join(f"{r['symbol']}|{r['brsymbol']}|{r['name']}|{r['token']}".upper() for r in rows)
    floors = {"dict lookup": measure(lambda: by_symbol.get("RELIANCE"), args.repeat),
              "str.find (one pass)": measure(lambda: joined.find("ZZZNOMATCH"), args.repeat)}

    print(f"{'query':<28}{'results':>8}{'p50 ms':>10}{'p99 ms':>10}")
    worst = 0.0
    for query in QUERIES:
        for exchange in (None, "NFO"):
            label = query + (f" [{exchange}]" if exchange else "")
            found = len(index.search(query, exchange))
            p50, p99 = measure(lambda: index.search(query, exchange), args.repeat)
            worst = max(worst, p99)
            print(f"{label:<28}{found:>8}{p50:>10.3f}{p99:>10.3f}")
    print()
    for name, (p50, p99) in floors.items():
        print(f"floor: {name:<21}{'':>8}{p50:>10.3f}{p99:>10.3f}")
    verdict = "OK" if worst < 10 else "TOO SLOW"
    print(f"\nworst p99 {worst:.3f} ms (target < 10 ms): {verdict}")
    return 0 if worst < 10 else 1


if __name__ == "__main__":
    raise SystemExit(main())
