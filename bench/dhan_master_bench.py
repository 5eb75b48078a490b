"""Dhan master-contract load speed: a 100,000-row Dhan scrip master (compact CSV) through the plugin's
parser and the real download path (validate, stage, swap), on SQLite and PostgreSQL.

Same target and floor as bench/master_contract_bench.py (under 10 s; the floor is a raw DB-API
executemany of the same rows into an unindexed scratch table in the same run). The CSV is generated in
Dhan's layout — equities, indices, then futures and option chains of many underlyings with expiries
a few weeks apart — so the parse (segments, symbols through utils/symbols.py, ticks from paise) is
measured too, on its own and as part of the load.

    .venv/bin/python bench/dhan_master_bench.py [--rows 100000] [--postgres postgresql://postgres@127.0.0.1:5432/test]
"""
from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Callable, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from master_contract_bench import TARGET_SECONDS, arguments, measure_backends, print_table, timed_parse  # noqa: E402

from broker.contract import Instrument, MasterContractLoader  # noqa: E402
from broker.dhan.master_contract import parse_scrip_master  # noqa: E402

HEADER = ("SEM_EXM_EXCH_ID,SEM_SEGMENT,SEM_SMST_SECURITY_ID,SEM_INSTRUMENT_NAME,SEM_EXPIRY_CODE,SEM_TRADING_SYMBOL,"
          "SEM_LOT_UNITS,SEM_CUSTOM_SYMBOL,SEM_EXPIRY_DATE,SEM_STRIKE_PRICE,SEM_OPTION_TYPE,SEM_TICK_SIZE,"
          "SEM_EXPIRY_FLAG,SEM_EXCH_INSTRUMENT_TYPE,SEM_SERIES,SM_SYMBOL_NAME")


def scrip_master(count: int) -> str:
    lines = [HEADER]
    for n in range(min(count // 10, 5000)):
        lines.append(f"NSE,E,{n + 1},EQUITY,0,EQ{n},1.0,Company {n},,0.00000,XX,5.0000,NA,ES,EQ,COMPANY {n} LTD")
    lines.append("NSE,I,13,INDEX,0,NIFTY,1.0,Nifty 50,,0.00000,XX,0.0000,N,INDEX,X,NIFTY")
    base_expiry, security_id, underlying = date(2030, 1, 3), 1_000_000, 0
    while len(lines) - 1 < count:
        base = f"UND{underlying}"
        for e in range(4):
            expiry = base_expiry + timedelta(days=7 * e)
            month = expiry.strftime("%b%Y")
            stamp = f"{expiry.isoformat()} 14:30:00"
            security_id += 1
            lines.append(f"NSE,D,{security_id},FUTSTK,0,{base}-{month}-FUT,50.0,{base} FUT,{stamp},-0.01000,XX,"
                         f"10.0000,M,FUTSTK,NA,{base}")
            for k in range(60):
                strike = 1000 + 10 * k
                for kind in ("CE", "PE"):
                    security_id += 1
                    lines.append(f"NSE,D,{security_id},OPTSTK,0,{base}-{month}-{strike}-{kind},50.0,{base} {strike} "
                                 f"{kind},{stamp},{strike}.00000,{kind},5.0000,W,OPTSTK,NA,{base}")
        underlying += 1
    return "\n".join(lines[:count + 1]) + "\n"


class _Loader(MasterContractLoader):
    def __init__(self, text: str):
        self.text = text

    def download(self, session, progress: Callable[[str], None]) -> Iterator[Instrument]:  # noqa: ANN001
        return parse_scrip_master(self.text)


def main() -> int:
    args = arguments(__doc__)
    text = scrip_master(args.rows)
    rows, parse_seconds = timed_parse(lambda: parse_scrip_master(text), args.rows)
    results = measure_backends(args.postgres, rows, _Loader(text))
    print(f"\nDhan master contract load, {len(rows):,} scrip-master rows (target < {TARGET_SECONDS:.0f} s); "
          f"CSV parse alone {parse_seconds:.2f} s ({len(rows) / parse_seconds:,.0f} rows/s)")
    return 0 if print_table(len(rows), results) else 1


if __name__ == "__main__":
    sys.exit(main())
