"""Angel One master-contract load speed: a 100,000-row OpenAPIScripMaster.json (Angel's JSON field layout:
equities, futures and options; tests/fakes/angel/data.py builds it) downloaded over HTTP from the fake
SmartAPI server by the plugin's own loader and parser (broker/angel/master_contract.py), then the real load
path (validate, stage, swap), on SQLite and PostgreSQL. Same target and floor as master_contract_bench.py.

    .venv/bin/python bench/angel_master_bench.py [--rows 100000] [--postgres postgresql://postgres@127.0.0.1:5432/test]
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from master_contract_bench import TARGET_SECONDS, arguments, measure_backends, print_table, timed_parse  # noqa: E402

from broker.angel.client import SmartApiClient  # noqa: E402
from broker.angel.master_contract import AngelMasterContract, parse_scrip_master  # noqa: E402
from broker.http import BrokerHttp  # noqa: E402
from tests.fakes.angel import AngelServer  # noqa: E402
from tests.fakes.angel.data import synthetic_master  # noqa: E402


def main() -> int:
    args = arguments(__doc__)
    master = list(synthetic_master(args.rows))
    data = json.dumps(master).encode()
    rows, parse_seconds = timed_parse(lambda: parse_scrip_master(json.loads(data)), args.rows)
    with AngelServer(master_rows=master) as angel:
        loader = AngelMasterContract(SmartApiClient(BrokerHttp("angel"), "bench", angel.url), angel.master_url)
        results = measure_backends(args.postgres, rows, loader)
    print(f"\nAngel One master contract load, {len(rows):,} instruments (target < {TARGET_SECONDS:.0f} s); "
          f"JSON + convert alone {parse_seconds:.2f} s ({len(rows) / parse_seconds:,.0f} rows/s); "
          "the loads include the HTTP download from the fake server")
    return 0 if print_table(len(rows), results) else 1


if __name__ == "__main__":
    sys.exit(main())
