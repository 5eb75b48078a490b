"""Angel One master-contract load: a 100,000-row OpenAPIScripMaster.json through the plugin's real path.

The Angel row is the whole `services.master_contract.download` with the Angel plugin: the scrip master
fetched over HTTP from the fake SmartAPI server (tests/fakes/angel/), parsed and converted to OpenAlgo
symbols, staged, validated and swapped in. The floor, measured in the same run on the same database, is
the same download with the very same instruments already converted (a loader that just yields them), so
"ratio" is what fetching and converting Angel's JSON adds. Target: under 10 s like every master contract.

    .venv/bin/python bench/angel_master_bench.py [--rows 100000]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from broker.angel import create_plugin  # noqa: E402
from broker.angel.master_contract import parse_scrip_master  # noqa: E402
from broker.contract import BrokerPlugin, Instrument, MasterContractLoader, PluginConfig  # noqa: E402
from database import db  # noqa: E402
from services import master_contract  # noqa: E402
from tests.fakes.angel import AngelServer  # noqa: E402
from tests.fakes.angel.data import synthetic_master  # noqa: E402

TARGET_SECONDS = 10.0
SECRETS = {"APP_KEY": "bench-app-key-0123456789abcdef0123456789abcdef",
           "API_KEY_PEPPER": "bench-pepper-fedcba9876543210fedcba9876543210"}


class _Converted(MasterContractLoader):
    def __init__(self, rows: list[Instrument]):
        self.rows = rows

    def download(self, session, progress: Callable[[str], None]) -> Iterator[Instrument]:  # noqa: ANN001
        return iter(self.rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    raw_rows = list(synthetic_master(args.rows))
    started = time.perf_counter()
    converted = list(parse_scrip_master(raw_rows))
    parse_seconds = time.perf_counter() - started
    with AngelServer(master_rows=raw_rows) as angel, tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        app = create_app({**SECRETS, "ENV_FILE": None, "DATABASE_URL": url, "LOGS_DATABASE_URL": url,
                          "LOG_LEVEL": "WARNING"})
        with app.app_context():
            plugin = create_plugin(PluginConfig(settings={"ANGEL_API_KEY": "bench", "ANGEL_API_URL": angel.url,
                                                          "ANGEL_MASTER_URL": angel.master_url}))
            floor_plugin = BrokerPlugin(**{**{f: getattr(plugin, f) for f in plugin.__dataclass_fields__},
                                           "master_contract": _Converted(converted)})
            results = {}
            for label, candidate in (("floor", floor_plugin), ("angel", plugin), ("floor ", floor_plugin),
                                     ("angel ", plugin)):
                outcome = master_contract.download("angel", candidate, force=True)
                assert outcome.state == "success", outcome.message
                assert outcome.rows == len(converted)
                results.setdefault(label.strip(), []).append(outcome.seconds)
            db.engine.dispose()
    angel_s, floor_s = min(results["angel"]), min(results["floor"])
    print(f"\nAngel One master contract, {len(raw_rows):,} scrip-master rows -> {len(converted):,} instruments "
          f"(SQLite; target < {TARGET_SECONDS:.0f} s; best of 2)")
    print(f"{'path':<34} {'seconds':>8} {'rows/s':>9}")
    print(f"{'parse + convert only':<34} {parse_seconds:>8.2f} {len(raw_rows) / parse_seconds:>9,.0f}")
    print(f"{'floor: converted rows, load':<34} {floor_s:>8.2f} {len(converted) / floor_s:>9,.0f}")
    print(f"{'angel: HTTP + JSON + convert + load':<34} {angel_s:>8.2f} {len(converted) / angel_s:>9,.0f}")
    ok = angel_s < TARGET_SECONDS
    print(f"ratio to floor {angel_s / floor_s:.2f}  verdict {'OK' if ok else 'TOO SLOW'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
