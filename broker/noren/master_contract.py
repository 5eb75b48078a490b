"""The Noren instrument masters → unified rows (MasterContractLoader).

Shoonya publishes one zipped text file per exchange, `<EXCH>_symbols.txt.zip` (Noren API docs,
"scripmasters"), comma-separated with a header: `Exchange,Token,LotSize,Symbol,TradingSymbol,
Instrument,TickSize` for cash segments, plus `Expiry` (`DD-MMM-YYYY`), `OptionType` and `StrikePrice`
for derivatives (BFO's file spells the strike `Strike`). Flattrade publishes eight CSVs (equities per
exchange; index and stock derivatives of NFO and BFO apart; currency; commodity), all with the nine
columns `Exchange,Token,Lotsize,Symbol,Tradingsymbol,Instrument,Expiry,Strike,Optiontype` — no tick
size (0.05 is taken), an empty strike on futures, empty rows at the end of some files. Columns are
matched case-blind, so one parser reads both brokers' files. `TradingSymbol` is the broker symbol orders take; `Token` what quotes, history and
the feed take. Symbols are built only through utils/symbols.py: equities drop the series suffix (`-EQ`),
indices go to NSE_INDEX / BSE_INDEX under their OpenAlgo names, futures are `NAMEDDMMMYYFUT`, options
`NAMEDDMMMYYSTRIKECE/PE`. Rows of other kinds are skipped.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, datetime
from functools import lru_cache
from typing import Callable, Iterable, Iterator

from broker.contract import BrokerSession, Instrument, MasterContractLoader
from broker.errors import BrokerUnavailable
from broker.noren.client import NorenClient
from utils.symbols import equity_symbol, future_symbol, option_symbol

FUTURES = frozenset({"FUTIDX", "FUTSTK", "FUTCOM", "FUTCUR", "FUTIRC", "FUTIRT"})
OPTIONS = frozenset({"OPTIDX", "OPTSTK", "OPTFUT", "OPTCUR", "OPTIRC"})
INDEX_NAMES = {"NIFTY 50": "NIFTY", "NIFTY BANK": "BANKNIFTY", "NIFTY FIN SERVICE": "FINNIFTY",
               "NIFTY MID SELECT": "MIDCPNIFTY", "NIFTY NEXT 50": "NIFTYNXT50", "INDIA VIX": "INDIAVIX",
               "SENSEX": "SENSEX", "BANKEX": "BANKEX"}
_ALIASES = {"lotsize": "lotsize", "tradingsymbol": "tradingsymbol", "optiontype": "optiontype",
            "strikeprice": "strike", "strike": "strike", "ticksize": "ticksize"}


def index_symbol(name: str) -> str:
    upper = name.strip().upper()
    return INDEX_NAMES.get(upper) or re.sub(r"[^A-Z0-9&]", "", upper)


@lru_cache(maxsize=4096)
def _expiry(text: str) -> date | None:
    text = text.strip()
    for layout in ("%d-%b-%Y", "%d-%b-%y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.title() if "-" in text else text, layout).date()
        except ValueError:
            continue
    return None


def to_instrument(row: dict[str, str]) -> Instrument | None:
    """One master row (lower-cased column names) → a unified row; None for rows we do not offer."""
    exch, kind = row.get("exchange", "").strip(), row.get("instrument", "").strip().upper()
    tsym, name = row.get("tradingsymbol", "").strip(), row.get("symbol", "").strip()
    token = row.get("token", "").strip()
    if not exch or not tsym or not token:
        return None
    expiry = _expiry(row.get("expiry") or "") if kind in FUTURES | OPTIONS else None
    try:
        strike = float(row.get("strike") or 0)
        lot = int(float(row.get("lotsize") or 1))
        tick = float(row.get("ticksize") or 0.05)
    except ValueError:
        return None
    exchange = exch
    if kind in FUTURES and expiry:
        symbol = future_symbol(name, expiry)
    elif kind in OPTIONS and expiry and row.get("optiontype", "").strip().upper() in ("CE", "PE"):
        symbol = option_symbol(name, expiry, strike, row["optiontype"].strip().upper())
    elif kind == "INDEX":
        symbol, exchange = index_symbol(name or tsym), f"{exch}_INDEX"
    elif kind in FUTURES | OPTIONS:
        return None
    else:
        symbol = equity_symbol(tsym)
    return Instrument(symbol=symbol, brsymbol=tsym, name=name, exchange=exchange, brexchange=exch, token=token,
                      expiry=expiry, strike=strike, lotsize=lot, tick_size=tick, instrumenttype=kind or "EQ", raw=None)


def read_rows(text: str) -> Iterator[dict[str, str]]:
    """A master file's text → rows keyed by lower-cased column name (trailing empty column ignored)."""
    reader = csv.reader(io.StringIO(text))
    header = [_ALIASES.get(h.strip().lower(), h.strip().lower()) for h in next(reader, [])]
    for values in reader:
        if values:
            yield dict(zip(header, values))


def unzip_text(blob: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        return "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())


class NorenMasterContract(MasterContractLoader):
    """`files`: (url, zipped) of each master file, in the order they are read."""

    def __init__(self, client: NorenClient, files: Iterable[tuple[str, bool]]):
        self.client = client
        self.files = tuple(files)

    def download(self, session: BrokerSession | None, progress: Callable[[str], None]) -> Iterator[Instrument]:
        for url, zipped in self.files:
            name = url.rsplit("/", 1)[-1]
            progress(f"downloading {name}")
            blob = self.client.text(url)
            try:
                text = unzip_text(blob) if zipped else blob.decode("utf-8", "replace")
            except zipfile.BadZipFile:
                raise BrokerUnavailable(f"{self.client.broker}'s {name} is not a zip file",
                                        broker=self.client.broker) from None
            for row in read_rows(text):
                instrument = to_instrument(row)
                if instrument is not None:
                    yield instrument
