"""REST API benchmark (issues 5 and 6): orders and market data against a floor, 1 vs 1,000 users.

Starts the server the way start.sh does (`python app.py`: the production server, SQLite by default) on
a temporary database, creates a user, an API key and a paper session with the CLI, and measures in one
run, at concurrency 1 and 8: the floor (`GET /health`, the same app stack with no key check and no
order), `orderbook` (100 orders in the book), `placeorder` (paper broker, key check, durable journal),
then placeorder at concurrency 1 after the server answered 20 one-year 5m history requests (issue 23:
compared with its placeorder before any, it must not stay slower), idle and while a 1-year 5m history request runs (issue 17), then
the market-data and symbol endpoints of issue 6 (`quotes` of one symbol, `multiquotes` of 50,
`history` of one year of 5-minute bars, the same for a symbol not asked before each time, `search`).
Then it adds 999 users with keys and 100,000 journal rows
and measures placeorder again. Finally it prints where placeorder's time went (the journal's per-stage
latencies).

    .venv/bin/python bench/rest_bench.py [--seconds 3]
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import subprocess
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402

from bench.http_load import LoadResult, run_load  # noqa: E402
from tests.api.server import Server, prepared_server  # noqa: E402

P50_TARGET_MS, P99_TARGET_MS, RATIO_TARGET = 3.0, 10.0, 0.5
MIN_ROUND_SECONDS = 1.0         # a round holds several history requests (about 0.1-0.2 s each)
BESIDE_HISTORY_TARGET = 1.2     # placeorder's p50 while a year of 5m history runs, against the idle p50
AFTER_HISTORY_TARGET = 1.15     # placeorder's p50 after 20 such requests, against the same server's before
HISTORY_TARGET_MS = 150.0       # issue 23 item 4: one year of 5-minute bars through the REST API
IDLE, BESIDE_HISTORY = "placeorder idle (baseline of the next row)", "placeorder while a 1-year 5m history runs"
AFTER_HISTORY = "placeorder after 20 histories (vs 1 user, c=1)"
HISTORY, HISTORY_COLD = "history (1 year of 5m)", "history (1 year of 5m, new symbol each)"
ORDER = {"strategy": "bench", "symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": "1",
         "pricetype": "MARKET", "product": "MIS"}


def data_requests(server: Server) -> list[tuple[str, str, dict]]:
    """(name, path, body) of the issue-6 endpoints: quotes, multiquotes of 50 NSE symbols, one year of
    5-minute history (paper's default `always` session trades around the clock: about 105,000 bars, about
8 MB of JSON, cut into the paper broker's 60-day windows), a search."""
    key = server.key
    nse = requests.get(f"{server.host}/api/v1/instruments", params={"apikey": key, "exchange": "NSE"}, timeout=30)
    symbols = [{"symbol": row["symbol"], "exchange": "NSE"} for row in nse.json()["data"][:50]]
    assert len(symbols) == 50, "the paper master contract should list 50 NSE symbols"
    end = date.today() - timedelta(days=1)
    return [
        ("quotes (1 symbol)", "/api/v1/quotes", {"apikey": key, "symbol": "SBIN", "exchange": "NSE"}),
        ("multiquotes (50 symbols)", "/api/v1/multiquotes", {"apikey": key, "symbols": symbols}),
        (HISTORY, "/api/v1/history", {"apikey": key, "symbol": "SBIN", "exchange": "NSE", "interval": "5m",
                                      "start_date": str(end - timedelta(days=365)), "end_date": str(end)}),
        # every request a symbol not asked before: the bars are computed, not found in the worker's cache
        (HISTORY_COLD, "/api/v1/history", lambda n: {"apikey": key, **symbols[n % len(symbols)], "interval": "5m",
                                                     "start_date": str(end - timedelta(days=365 + n // len(symbols))),
                                                     "end_date": str(end)}),
        ("search 'NIFTY 27000 CE'", "/api/v1/search", {"apikey": key, "query": "NIFTY 27000 CE"}),
    ]


def merged(rounds: list[LoadResult]) -> LoadResult:
    """Several short measurements of one endpoint as one."""
    first = rounds[0]
    return LoadResult(first.name, first.concurrency, sum(r.requests for r in rounds), sum(r.errors for r in rounds),
                      sum(r.seconds for r in rounds), [ms for r in rounds for ms in r.latencies_ms])


def measure(server: Server, seconds: float, label: str, *, first_run: bool = True, rounds: int = 3) -> list[LoadResult]:
    """The floor and placeorder in alternating rounds (so that a machine whose speed drifts affects both
    alike), after the orderbook (exactly the 100 warm-up orders), on a server that has served nothing
    else; then the market-data endpoints. A year of 5-minute history builds about 100,000 bars per
    request, and the process stays measurably slower afterwards (its heap is spread out: about a third
    more CPU per order, measured), so it must not run before the order measurements."""
    host, port = "127.0.0.1", server.port
    order = {"apikey": server.key, **ORDER}
    floor_name = "floor GET /health" + ("" if first_run else " (restarted)")
    results = []
    for concurrency in (1, 8) if first_run else ():
        results.append(run_load("orderbook (100 orders)", host, port, "POST", "/api/v1/orderbook",
                                {"apikey": server.key}, concurrency=concurrency, duration=seconds))
    for concurrency in (1, 8):
        floors, orders = [], []
        for _ in range(rounds):
            floors.append(run_load(floor_name, host, port, "GET", "/health", None,
                                   concurrency=concurrency, duration=seconds / rounds))
            orders.append(run_load(f"placeorder {label}", host, port, "POST", "/api/v1/placeorder", order,
                                   concurrency=concurrency, duration=seconds / rounds))
        results += [merged(floors), merged(orders)]
    if first_run:
        data = data_requests(server)
        history = next(body for name, _, body in data if name == HISTORY)
        results += orders_after_history(server, seconds, history)
        results += orders_beside_history(server, seconds, history)
        for concurrency in (1, 8):
            for name, path, body in data:   # a year of 5m history takes a while per request: give it longer
                if name.startswith("history") and concurrency > 1:
                    continue   # history requests queue for HEAVY_READ_WORKERS processes: c=8 measures the queue
                results.append(run_load(name, host, port, "POST", path, body, concurrency=concurrency,
                                        duration=seconds * (3 if name.startswith("history") else 1)))
    return results


def orders_after_history(server: Server, seconds: float, history: dict, requests_between: int = 20) -> list[LoadResult]:
    """placeorder at concurrency 1 after the server answered `requests_between` 1-year 5m history requests
    one after the other, to compare with the same server's placeorder before any (issue 23: it must not
    stay slower afterwards)."""
    host, port, order = "127.0.0.1", server.port, {"apikey": server.key, **ORDER}
    with requests.Session() as session:
        for _ in range(requests_between):
            reply = session.post(f"{server.host}/api/v1/history", json=history, timeout=300)
            assert reply.status_code == 200, reply.text[:300]
    after = run_load(AFTER_HISTORY, host, port, "POST", "/api/v1/placeorder", order, concurrency=1, duration=seconds)
    return [after]


# Another client (a process of its own, as it would be) that sends one request after another and prints
# each one's duration; a non-200 answer stops it with the reply.
# The other client: told a duration on stdin, it requests history back to back for that long (the last
# request may end a little later), prints each request's seconds and "done"; between rounds it sends
# nothing. It runs at a lower CPU priority: on these 2 cores its reading of ~8 MB per request would
# otherwise take CPU from the server and the order client, which a client on its own machine does not.
_HISTORY_CLIENT = """
import json, os, sys, time, requests
os.nice(10)
url, body = sys.argv[1], json.loads(sys.argv[2])
with requests.Session() as session:
    for line in sys.stdin:
        until = time.perf_counter() + float(line)
        while time.perf_counter() < until:
            begun = time.perf_counter()
            reply = session.post(url, json=body, timeout=300)
            if reply.status_code != 200:
                sys.exit(reply.text[:300])
            print(time.perf_counter() - begun, flush=True)
        print("done", flush=True)
"""


def orders_beside_history(server: Server, seconds: float, history: dict, rounds: int = 8) -> list[LoadResult]:
    """placeorder at concurrency 1 idle, and while another client keeps 1-year 5m history requests
    running (one after the other, without pause), in many short alternating rounds so that a machine
    whose speed drifts affects both alike (issue 17.4: within 20 %)."""
    host, port, order = "127.0.0.1", server.port, {"apikey": server.key, **ORDER}
    idle, busy, histories = [], [], []
    each = max(seconds * 2 / rounds, MIN_ROUND_SECONDS)
    runner = subprocess.Popen([sys.executable, "-c", _HISTORY_CLIENT, f"{server.host}/api/v1/history",
                               json.dumps(history)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        for _ in range(rounds):
            idle.append(run_load(IDLE, host, port, "POST", "/api/v1/placeorder", order, concurrency=1,
                                 duration=each))
            runner.stdin.write(f"{each + 0.2}\n")
            runner.stdin.flush()
            time.sleep(0.1)   # the first request is in the server by now
            busy.append(run_load(BESIDE_HISTORY, host, port, "POST", "/api/v1/placeorder", order, concurrency=1,
                                 duration=each))
            while (line := runner.stdout.readline().strip()) != "done":
                assert line, f"the history client stopped (exit {runner.wait()})"
                histories.append(float(line))
    finally:
        runner.kill()
        runner.wait()
    print(f"history requests completed beside the orders: {len(histories)}, median "
          f"{statistics.median(histories) if histories else float('nan'):.2f} s")
    return [merged(idle), merged(busy)]


def add_users_and_journal(db_path: Path, users: int, journal_rows: int) -> None:
    """Other users with keys, and a long journal, written straight into the server's database."""
    with sqlite3.connect(db_path) as db:
        db.executemany("INSERT INTO users (username, email, password_hash, is_admin, created_at) "
                       "VALUES (?, ?, 'x', 0, CURRENT_TIMESTAMP)",
                       [(f"other{n}", f"other{n}@example.com") for n in range(users)])
        key_columns = [row[1] for row in db.execute("PRAGMA table_info(api_keys)")]
        ids = [row[0] for row in db.execute("SELECT id FROM users WHERE username LIKE 'other%'")]
        if {"user_id", "key_digest"} <= set(key_columns):
            template = _row_template(db, "api_keys")
            db.executemany(_insert("api_keys", template), [
                {**template, "user_id": uid, "key_digest": uuid.uuid4().hex * 2} for uid in ids])
        template = _row_template(db, "order_journal")
        db.executemany(_insert("order_journal", template), [
            {**template, "request_id": str(uuid.uuid4()), "user_id": ids[n % len(ids)], "orderid": str(n)}
            for n in range(journal_rows)])


def _row_template(db: sqlite3.Connection, table: str) -> dict:
    """Copy one existing row of `table` (the bench user's) as the pattern for synthetic rows."""
    cursor = db.execute(f"SELECT * FROM {table} LIMIT 1")
    names = [d[0] for d in cursor.description]
    return {k: v for k, v in zip(names, cursor.fetchone()) if k != "id"}


def _insert(table: str, template: dict) -> str:
    return f"INSERT INTO {table} ({', '.join(template)}) VALUES ({', '.join(':' + k for k in template)})"


def stage_breakdown(db_path: Path, first: int, count: int) -> dict[str, float]:
    """Median per stage over the journal rows of the concurrency-1 placeorder run."""
    with sqlite3.connect(db_path) as db:
        rows = db.execute("SELECT validation_ms, broker_ms, total_ms FROM order_journal WHERE action = "
                          "'placeorder' AND strategy = 'bench' ORDER BY id LIMIT ? OFFSET ?", (count, first)).fetchall()
    return {name: statistics.median(r[i] or 0 for r in rows) if rows else 0.0
            for i, name in enumerate(("validation_ms", "broker_ms", "before_journal_ms"))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each measurement")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        server = prepared_server(folder, LOG_LEVEL="WARNING")
        server.start()
        try:
            for _ in range(100):
                requests.post(f"{server.host}/api/v1/placeorder", json={"apikey": server.key, **ORDER}, timeout=10)
            results = measure(server, args.seconds, "(1 user)")
        finally:
            server.stop()
        serial = next(r for r in results if r.name.startswith("placeorder") and r.concurrency == 1)
        stages = stage_breakdown(folder / "srv.db", 100, serial.requests)
        add_users_and_journal(folder / "srv.db", 999, 100_000)
        server.start()
        try:
            results += measure(server, args.seconds, "(1,000 users, 100k journal rows)", first_run=False)
        finally:
            server.stop()
    return report(results, stages)


def report(results: list[LoadResult], stages: dict[str, float]) -> int:
    print(f"{'endpoint':<46} {'conc':>4} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} {'vs floor':>8}")
    floors: dict[int, float] = {}   # the floor measured last before each row (or the first), per concurrency
    for r in results:
        if r.name.startswith("floor"):
            floors.setdefault(r.concurrency, r.rps)
    ratios: dict[tuple[str, int], float] = {}
    for r in results:
        if r.name.startswith("floor"):
            floors[r.concurrency] = r.rps
        ratio = ratios[(r.name, r.concurrency)] = r.rps / floors[r.concurrency] if floors.get(r.concurrency) else float("nan")
        print(f"{r.name:<46} {r.concurrency:>4} {r.rps:8.1f} {r.p50:7.2f} {r.percentile(99):7.2f} {r.errors:>6} "
              f"{ratio:8.0%}")
    one = next(r for r in results if r.name == "placeorder (1 user)" and r.concurrency == 1)
    eight = next(r for r in results if r.name == "placeorder (1 user)" and r.concurrency == 8)
    ratio = ratios[(eight.name, 8)]
    idle, beside = (next(r for r in results if r.name == name) for name in (IDLE, BESIDE_HISTORY))
    slower = beside.p50 / idle.p50
    after = next(r for r in results if r.name == AFTER_HISTORY)
    history, cold = (next(r for r in results if r.name == name) for name in (HISTORY, HISTORY_COLD))
    checks = {f"placeorder p50 {one.p50:.2f} ms <= {P50_TARGET_MS} ms": one.p50 <= P50_TARGET_MS,
              f"placeorder p50 beside a 1-year 5m history {beside.p50:.2f} ms = {slower:.0%} of idle {idle.p50:.2f} ms "
              f"(<= {BESIDE_HISTORY_TARGET:.0%})": slower <= BESIDE_HISTORY_TARGET,
              f"placeorder p50 after 20 histories {after.p50:.2f} ms = {after.p50 / one.p50:.0%} of before any "
              f"{one.p50:.2f} ms (<= {AFTER_HISTORY_TARGET:.0%})": after.p50 <= AFTER_HISTORY_TARGET * one.p50,
              f"history 1 year of 5m p50 {history.p50:.0f} ms and new symbol each {cold.p50:.0f} ms, both <= "
              f"{HISTORY_TARGET_MS:.0f} ms": max(history.p50, cold.p50) <= HISTORY_TARGET_MS,
              f"placeorder p99 {one.percentile(99):.2f} ms <= {P99_TARGET_MS} ms": one.percentile(99) <= P99_TARGET_MS,
              f"placeorder c=8 at {ratio:.0%} of the floor (>= {RATIO_TARGET:.0%})": ratio >= RATIO_TARGET}
    print("\nplaceorder stages at concurrency 1 (median ms, from the journal rows): " + json.dumps(
        {k: round(v, 3) for k, v in stages.items()}))
    print("before_journal_ms counts from the start of parsing; the journal commit, the key check and HTTP are the rest")
    for text, ok in checks.items():
        print(f"{'OK  ' if ok else 'MISS'} {text}")
    return 0 if all(checks.values()) and all(r.errors == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
