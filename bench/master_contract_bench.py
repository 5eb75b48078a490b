"""Master-contract load speed: 100,000 instruments through the real download path, on SQLite and PostgreSQL.

Target (issue 4): loading 100,000 instruments takes under 10 s. The floor is a raw DB-API
`executemany` of the same rows into an unindexed scratch table on the same database in the same run,
i.e. the least any insert could cost there; "ratio" says how far the full path (build rows, validate,
stage, check duplicates, swap into the indexed live table) is above it.

    .venv/bin/python bench/master_contract_bench.py [--rows 100000] [--postgres postgresql://postgres@127.0.0.1:5432/test]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Callable, Iterable, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app import create_app  # noqa: E402
from broker.contract import (AuthAdapter, BrokerPlugin, CapabilityMap, DataAdapter, FundsAdapter,  # noqa: E402
                             Instrument, Manifest, MasterContractLoader, OrderAdapter)
from database import db  # noqa: E402
from services import master_contract  # noqa: E402
from utils.symbols import future_symbol, option_symbol  # noqa: E402

TARGET_SECONDS = 10.0
SECRETS = {"APP_KEY": "bench-app-key-0123456789abcdef0123456789abcdef",
           "API_KEY_PEPPER": "bench-pepper-fedcba9876543210fedcba9876543210"}


def instruments(count: int) -> list[Instrument]:
    """A realistic mix: equities, then futures and option chains of many underlyings and expiries."""
    rows: list[Instrument] = []
    equities = min(count // 10, 5000)
    for n in range(equities):
        rows.append(Instrument(symbol=f"EQ{n}", brsymbol=f"EQ{n}-EQ", name=f"COMPANY {n}", exchange="NSE",
                               brexchange="NSE", token=str(n + 1), strike=-1.0, tick_size=0.05, instrumenttype="EQ"))
    base_expiry, token = date(2030, 1, 1), 1_000_000
    underlying = 0
    while len(rows) < count:
        base = f"UND{underlying}"
        for e in range(4):
            expiry = base_expiry + timedelta(days=7 * e)
            token += 1
            rows.append(Instrument(symbol=future_symbol(base, expiry), brsymbol=f"{base}{e}FUT", name=base,
                                   exchange="NFO", brexchange="NFO", token=str(token), expiry=expiry, lotsize=50,
                                   instrumenttype="FUTSTK", strike=-1.0))
            for k in range(60):
                for kind in ("CE", "PE"):
                    token += 1
                    strike = 1000 + 10 * k
                    rows.append(Instrument(symbol=option_symbol(base, expiry, strike, kind),
                                           brsymbol=f"{base}{e}{strike}{kind}", name=base, exchange="NFO",
                                           brexchange="NFO", token=str(token), expiry=expiry, strike=float(strike),
                                           lotsize=50, instrumenttype=kind))
        underlying += 1
    return rows[:count]


class _Loader(MasterContractLoader):
    def __init__(self, rows: list[Instrument]):
        self.rows = rows

    def download(self, session, progress: Callable[[str], None]) -> Iterator[Instrument]:  # noqa: ANN001
        return iter(self.rows)


def plugin(rows: list[Instrument], loader: MasterContractLoader | None = None) -> BrokerPlugin:
    return BrokerPlugin(manifest=Manifest(name="bench", display_name="Bench", auth_type="none"),
                        capabilities=CapabilityMap(operations=frozenset({"master_contract"}),
                                                   exchanges=frozenset(row.exchange for row in rows)),
                        auth=AuthAdapter(), orders=OrderAdapter(), data=DataAdapter(), funds=FundsAdapter(),
                        master_contract=loader or _Loader(rows))


def raw_executemany_seconds(rows: list[Instrument]) -> float:
    """The floor: plain executemany of the same values into an unindexed scratch table, one commit."""
    values = [master_contract.instrument_row("bench", i, n) for n, i in enumerate(rows)]
    columns = master_contract.ROW_COLUMNS
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("DROP TABLE IF EXISTS bench_floor")
        cursor.execute("CREATE TABLE bench_floor AS SELECT " + ", ".join(columns) + " FROM symtoken_staging WHERE 1 = 0")
        raw.commit()
        marker = "%s" if db.engine.dialect.name == "postgresql" else "?"
        started = time.perf_counter()
        cursor.executemany(f"INSERT INTO bench_floor ({', '.join(columns)}) VALUES ({', '.join([marker] * len(columns))})",
                           values)
        raw.commit()
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_floor")
        raw.commit()
        return elapsed
    finally:
        raw.close()


def measure(url: str, rows: list[Instrument], loader: MasterContractLoader | None = None) -> dict[str, float]:
    """`loader`: a broker's own loader (its file format through its parser) instead of the ready rows;
    `rows` are then its expected output, for the floor."""
    # no strategy worker: it would keep polling the database that postgres_database() drops afterwards
    app = create_app({**SECRETS, "ENV_FILE": None, "DATABASE_URL": url, "LOGS_DATABASE_URL": url,
                      "LOG_LEVEL": "WARNING", "STRATEGY_WORKER": False})
    with app.app_context():
        bench_plugin = plugin(rows, loader)
        first = master_contract.download("bench", bench_plugin, force=True)
        assert first.state == "success", first.message
        second = master_contract.download("bench", bench_plugin, force=True)  # replaces a full contract
        assert second.state == "success", second.message
        floor = raw_executemany_seconds(rows)
        db.engine.dispose()
    return {"first": first.seconds, "replace": second.seconds, "floor": floor}


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str | None]:
    name = f"oa_bench_{uuid.uuid4().hex[:10]}"
    libpq = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(libpq, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL skipped: {exc}".strip())
        yield None
        return
    try:
        yield make_url(admin_url).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def arguments(doc: str) -> argparse.Namespace:
    """The options every master-contract bench takes (its module docstring's first line is the help)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    return parser.parse_args()


def timed_parse(parse: Callable[[], Iterable[Instrument]], expected: int) -> tuple[list[Instrument], float]:
    """A broker's parser on its own: the rows and the seconds it took; every row must come out."""
    started = time.perf_counter()
    rows = list(parse())
    seconds = time.perf_counter() - started
    assert len(rows) == expected, f"{len(rows)} of {expected} rows parsed"
    return rows, seconds


def measure_backends(postgres: str, rows: list[Instrument],
                     loader: MasterContractLoader | None = None) -> list[tuple[str, dict[str, float]]]:
    """`measure` on a scratch SQLite file and (when reachable) a scratch PostgreSQL database."""
    results: list[tuple[str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as folder:
        results.append(("SQLite", measure(f"sqlite:///{folder}/bench.db", rows, loader)))
    with postgres_database(postgres) as url:
        if url:
            results.append(("PostgreSQL", measure(url, rows, loader)))
    return results


def main() -> int:
    args = arguments(__doc__)
    rows = instruments(args.rows)
    results = measure_backends(args.postgres, rows)
    print(f"\nMaster contract load, {len(rows):,} instruments (target < {TARGET_SECONDS:.0f} s)")
    return 0 if print_table(len(rows), results) else 1


def print_table(count: int, results: list[tuple[str, dict[str, float]]]) -> bool:
    """One row per backend; True when every load met the target."""
    print(f"{'backend':<11} {'first load':>11} {'replace':>9} {'rows/s':>9} {'floor':>8} {'floor rows/s':>13} {'ratio':>6}  verdict")
    ok = True
    for backend, r in results:
        worst = max(r["first"], r["replace"])
        ok &= worst < TARGET_SECONDS
        print(f"{backend:<11} {r['first']:>10.2f}s {r['replace']:>8.2f}s {count / worst:>9,.0f} "
              f"{r['floor']:>7.2f}s {count / r['floor']:>13,.0f} {worst / r['floor']:>6.1f}  "
              f"{'OK' if worst < TARGET_SECONDS else 'TOO SLOW'}")
    return ok


if __name__ == "__main__":
    sys.exit(main())
