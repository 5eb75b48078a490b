"""The instrument list in the unified format (MasterContractLoader).

OpenAlgo symbols are built with utils/symbols.py only (equities as traded, futures
NAME<DDMMMYY>FUT, options NAME<DDMMMYY><strike>CE/PE), so every broker names an instrument the same
way. Rows are yielded one by one: a 100k-row list never sits in memory twice.
"""
from __future__ import annotations

from datetime import date
from typing import Callable, Iterator

from broker._template.client import READS, TemplateClient
from broker._template.mapping import UNIFIED_EXCHANGES
from broker.contract import BrokerSession, Instrument, MasterContractLoader
from utils.symbols import equity_symbol, future_symbol, option_symbol


def to_instrument(row: dict) -> Instrument | None:
    exchange = UNIFIED_EXCHANGES.get(row["exchange"])
    if exchange is None:
        return None   # a segment we do not offer
    kind = row["instrument_type"]
    expiry = date.fromisoformat(row["expiry"]) if row.get("expiry") else None
    if kind == "FUT" and expiry:
        symbol = future_symbol(row["name"], expiry)
    elif kind in ("CE", "PE") and expiry:
        symbol = option_symbol(row["name"], expiry, float(row["strike"]), kind)
    else:
        symbol = equity_symbol(row["symbol"]) if kind == "EQ" else row["symbol"].upper().replace(" ", "")
    return Instrument(symbol=symbol, brsymbol=row["symbol"], name=row["name"], exchange=exchange,
                      brexchange=row["exchange"], token=str(row["token"]), expiry=expiry,
                      strike=float(row.get("strike") or 0), lotsize=int(row.get("lot_size") or 1),
                      tick_size=float(row.get("tick_size") or 0.05), instrumenttype=kind, raw=row)


class TemplateMasterContract(MasterContractLoader):
    def __init__(self, client: TemplateClient):
        self.client = client

    def download(self, session: BrokerSession | None, progress: Callable[[str], None]) -> Iterator[Instrument]:
        rows = self.client.call("GET", "/instruments", session, bucket=READS)
        progress(f"{len(rows)} instruments from the broker")
        for row in rows:
            instrument = to_instrument(row)
            if instrument is not None:
                yield instrument
