"""Noren (Shoonya / Flattrade) master-contract load speed: a 100,000-row symbol file in Shoonya's layout
(`NFO_symbols.txt`, zipped as published) through the plugins' parser (broker/noren/master_contract.py)
and the real download path (validate, stage, swap), on SQLite and PostgreSQL.

Same target and floor as bench/master_contract_bench.py (under 10 s; the floor is a raw DB-API
executemany of the same rows into an unindexed scratch table in the same run). The file holds equities,
an index, then futures and option chains of many underlyings, so the parse (expiries, symbols through
utils/symbols.py) is measured on its own and as part of the load. The SQLite / PostgreSQL runs are
master_contract_bench.measure_backends (the app without its strategy worker), as in the other benches.

    .venv/bin/python bench/noren_master_bench.py [--rows 100000] [--postgres postgresql://postgres@127.0.0.1:5432/test]
"""
from __future__ import annotations

import io
import sys
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Callable, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from master_contract_bench import TARGET_SECONDS, arguments, measure_backends, print_table, timed_parse  # noqa: E402

from broker.contract import Instrument, MasterContractLoader  # noqa: E402
from broker.noren.master_contract import read_rows, to_instrument, unzip_text  # noqa: E402


def symbol_file(count: int) -> bytes:
    """`count` rows in the documented layout, zipped like Shoonya's `<EXCH>_symbols.txt.zip`."""
    lines = ["Exchange,Token,LotSize,Symbol,TradingSymbol,Expiry,Instrument,OptionType,StrikePrice,TickSize,"]
    for n in range(min(count // 10, 5000)):
        lines.append(f"NSE,{n + 1},1,EQ{n},EQ{n}-EQ,,EQ,,,0.05,")
    lines.append("NSE,26000,1,Nifty 50,Nifty 50,,INDEX,,,0.05,")
    base_expiry, token, underlying = date(2030, 1, 3), 1_000_000, 0
    while len(lines) - 1 < count:
        base = f"UND{underlying}"
        for e in range(4):
            expiry = base_expiry + timedelta(days=7 * e)
            text, short = expiry.strftime("%d-%b-%Y").upper(), expiry.strftime("%d%b%y").upper()
            token += 1
            lines.append(f"NFO,{token},50,{base},{base}{short}F,{text},FUTSTK,XX,0,0.05,")
            for k in range(60):
                strike = 1000 + 10 * k
                for kind in ("CE", "PE"):
                    token += 1
                    lines.append(f"NFO,{token},50,{base},{base}{short}{kind[0]}{strike},{text},OPTSTK,{kind},"
                                 f"{strike},0.05,")
        underlying += 1
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("NFO_symbols.txt", "\n".join(lines[:count + 1]) + "\n")
    return buffer.getvalue()


def parse(blob: bytes) -> Iterator[Instrument]:
    for row in read_rows(unzip_text(blob)):
        instrument = to_instrument(row)
        if instrument is not None:
            yield instrument


class _Loader(MasterContractLoader):
    def __init__(self, blob: bytes):
        self.blob = blob

    def download(self, session, progress: Callable[[str], None]) -> Iterator[Instrument]:  # noqa: ANN001
        return parse(self.blob)


def main() -> int:
    args = arguments(__doc__)
    blob = symbol_file(args.rows)
    rows, parse_seconds = timed_parse(lambda: parse(blob), args.rows)
    results = measure_backends(args.postgres, rows, _Loader(blob))
    print(f"\nNoren master contract load, {len(rows):,} symbol-file rows (target < {TARGET_SECONDS:.0f} s); "
          f"unzip + parse alone {parse_seconds:.2f} s ({len(rows) / parse_seconds:,.0f} rows/s)")
    return 0 if print_table(len(rows), results) else 1


if __name__ == "__main__":
    sys.exit(main())
