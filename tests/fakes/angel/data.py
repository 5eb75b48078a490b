"""What the fake Angel One servers know: the recorded payloads (tests/fixtures/angel/), the scrip master
they trade, prices derived from instrument tokens, and synthetic masters of any size (benchmarks)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "angel"

CLIENT_CODE, PIN = "A123456", "1234"
API_KEY = "angelapikey"
# base32 TOTP secret of the fake account: tests compute the current code with pyotp like the user's app
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@dataclass(frozen=True)
class Scrip:
    token: str
    symbol: str
    name: str
    exchange: str
    instrumenttype: str
    lotsize: int
    tick_paise: float

    @property
    def is_index(self) -> bool:
        return self.instrumenttype == "AMXIDX"


@lru_cache(maxsize=1)
def scrips() -> dict[tuple[str, str], Scrip]:
    """(exchange, token) → scrip, from the recorded scrip-master slice."""
    return {(row["exch_seg"], row["token"]): Scrip(row["token"], row["symbol"], row["name"], row["exch_seg"],
                                                   row["instrumenttype"], int(row["lotsize"]),
                                                   float(row["tick_size"]))
            for row in fixture("scrip_master.json")}


def base_price(token: str) -> float:
    """A deterministic price per token (₹100.00-₹1,099.95 on a 0.05 grid), the same in REST and stream."""
    return round(100 + (int(token) * 7919 % 20000) * 0.05, 2)


def synthetic_master(rows: int) -> Iterator[dict[str, Any]]:
    """`rows` scrip-master rows shaped like the real file: equities, futures and options mixed."""
    months = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
    for i in range(rows):
        name = f"STK{i // 4:06d}"
        month = months[(i // 4) % 12]
        expiry = f"{(i // 4) % 27 + 1:02d}{month}2031"
        kind = i % 4
        if kind == 0:
            yield {"token": str(100000 + i), "symbol": f"{name}-EQ", "name": name, "expiry": "",
                   "strike": "-1.000000", "lotsize": "1", "instrumenttype": "", "exch_seg": "NSE",
                   "tick_size": "5.000000"}
        elif kind == 1:
            yield {"token": str(100000 + i), "symbol": f"{name}{expiry[:5]}{expiry[-2:]}FUT", "name": name,
                   "expiry": expiry, "strike": "-1.000000", "lotsize": "500", "instrumenttype": "FUTSTK",
                   "exch_seg": "NFO", "tick_size": "10.000000"}
        else:
            strike = 100 + (i // 4) % 300 * 5
            side = "CE" if kind == 2 else "PE"
            yield {"token": str(100000 + i), "symbol": f"{name}{expiry[:5]}{expiry[-2:]}{strike}{side}",
                   "name": name, "expiry": expiry, "strike": f"{strike * 100:.6f}", "lotsize": "500",
                   "instrumenttype": "OPTSTK", "exch_seg": "NFO", "tick_size": "5.000000"}
