"""Dhan's scrip master (the compact CSV, https://dhanhq.co/docs/v2/instruments/) → unified rows.

Columns used: SEM_EXM_EXCH_ID (NSE / BSE / MCX) with SEM_SEGMENT (E equity, D derivatives, C currency,
M commodity, I index) give the exchange segment; SEM_SMST_SECURITY_ID is the security id every order,
quote, chart and feed request takes (kept as `token`); SEM_INSTRUMENT_NAME (EQUITY, INDEX, FUTIDX,
OPTIDX, FUTSTK, OPTSTK, FUTCOM, OPTFUT, FUTCUR, OPTCUR) is kept as `instrumenttype` (EQUITY as the
usual EQ) because the chart endpoints need it; SEM_TRADING_SYMBOL is Dhan's symbol (`NIFTY-Dec2024-24000-CE`); SEM_EXPIRY_DATE is
`YYYY-MM-DD HH:MM:SS`; SEM_TICK_SIZE is in paise. Symbols are built only through utils/symbols.py:
equities keep their trading symbol, futures are `NAMEDDMMMYYFUT`, options `NAMEDDMMMYYSTRIKECE/PE`
(the underlying is the trading symbol's first part), indices go to NSE_INDEX / BSE_INDEX with short
names. Rows of other kinds (spreads, bonds, unknown segments) are skipped.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date
from functools import lru_cache
from operator import itemgetter
from typing import Callable, Iterator, Sequence

from broker.contract import BrokerSession, Instrument, MasterContractLoader
from broker.errors import BrokerError
from broker.dhan.client import DhanClient
from broker.dhan.mapping import SEGMENT_LETTERS, to_unified_exchange
from utils.symbols import future_symbol, option_symbol

CSV_COLUMNS = ("SEM_EXM_EXCH_ID", "SEM_SEGMENT", "SEM_SMST_SECURITY_ID", "SEM_INSTRUMENT_NAME",
               "SEM_TRADING_SYMBOL", "SEM_LOT_UNITS", "SEM_EXPIRY_DATE", "SEM_STRIKE_PRICE", "SEM_OPTION_TYPE",
               "SEM_TICK_SIZE", "SM_SYMBOL_NAME")
FUTURES = frozenset({"FUTIDX", "FUTSTK", "FUTCOM", "FUTCUR"})
OPTIONS = frozenset({"OPTIDX", "OPTSTK", "OPTFUT", "OPTCUR"})
# Dhan's index trading symbols → the names the OpenAlgo API uses for them
INDEX_NAMES = {"NIFTY 50": "NIFTY", "NIFTY BANK": "BANKNIFTY", "NIFTY FIN SERVICE": "FINNIFTY",
               "NIFTY MID SELECT": "MIDCPNIFTY", "MIDCPNIFTY": "MIDCPNIFTY", "NIFTY NEXT 50": "NIFTYNXT50",
               "INDIA VIX": "INDIAVIX", "SNSX50": "SENSEX50"}
# NAME-MonYYYY-FUT or NAME-MonYYYY-STRIKE-CE|PE (anything else, e.g. calendar spreads, is skipped)
_DERIVATIVE = re.compile(r"^(?P<base>[A-Z0-9&_]+)-[A-Z][a-z]{2}\d{4}-(?:FUT|(?P<strike>\d+(?:\.\d+)?)-(?:CE|PE))$")


class ContractFormatError(BrokerError):
    """The file is not Dhan's scrip master (columns missing)."""


def index_symbol(trading_symbol: str) -> str:
    name = trading_symbol.strip().upper()
    return INDEX_NAMES.get(name) or re.sub(r"[^A-Z0-9&]", "", name)


@lru_cache(maxsize=4096)      # a 100k-row master has a few hundred distinct expiries and ticks
def _expiry(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()[:10]) if text.strip() else None
    except ValueError:
        return None


@lru_cache(maxsize=1024)
def _tick(paise: str) -> float:
    try:
        value = float(paise or 0) / 100
    except ValueError:
        return 0.05
    return round(value, 6) if value > 0 else 0.05


def convert_row(row: dict[str, str]) -> Instrument | None:
    """One CSV row (as a dict of its columns) → a unified row; None for rows we do not offer."""
    return _convert([row.get(column) or "" for column in CSV_COLUMNS])


# positions in CSV_COLUMNS, for the per-row converter
(_EXCH, _SEG, _ID, _KIND, _SYMBOL, _LOT, _EXPIRY, _STRIKE, _OPTION, _TICK, _NAME) = range(len(CSV_COLUMNS))


# (exchange, segment letter) → (Dhan exchange segment, unified exchange), worked out once
_EXCHANGES = {key: (segment, to_unified_exchange(segment, key[0])) for key, segment in SEGMENT_LETTERS.items()}


def _convert(values: Sequence[str]) -> Instrument | None:
    letter = values[_SEG]
    exchanges = _EXCHANGES.get((values[_EXCH], letter))
    trading_symbol, security_id = values[_SYMBOL].strip(), values[_ID].strip()
    if exchanges is None or not trading_symbol or not security_id:
        return None
    segment, unified_exchange = exchanges
    kind = values[_KIND].upper()
    name, expiry, strike = values[_NAME].strip(), None, 0.0
    if letter == "I":
        if kind != "INDEX":
            return None
        symbol = index_symbol(trading_symbol)
    elif kind == "EQUITY":
        symbol, kind = trading_symbol.upper(), "EQ"
    elif kind in FUTURES or kind in OPTIONS:
        match = _DERIVATIVE.match(trading_symbol)
        expiry = _expiry(values[_EXPIRY])
        if match is None or expiry is None or (kind in FUTURES) == bool(match["strike"]):
            return None
        name = match["base"]
        if kind in FUTURES:
            symbol = future_symbol(name, expiry)
        else:
            option_type = values[_OPTION].upper()
            if option_type not in ("CE", "PE"):
                return None
            strike = float(values[_STRIKE] or match["strike"])
            symbol = option_symbol(name, expiry, strike, option_type)
    else:
        return None
    return Instrument(symbol=symbol, brsymbol=trading_symbol, name=name or symbol,
                      exchange=unified_exchange, brexchange=segment, token=security_id,
                      expiry=expiry, strike=strike, lotsize=_lot(values[_LOT]), tick_size=_tick(values[_TICK]),
                      instrumenttype=kind)


@lru_cache(maxsize=4096)
def _lot(text: str) -> int:
    try:
        return max(int(float(text or 1)), 1)
    except ValueError:
        return 1


def _rows(text: str) -> Iterator[Sequence[str]]:
    """The CSV's rows as lists in CSV_COLUMNS order, whatever order Dhan writes the columns in."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    missing = set(CSV_COLUMNS) - set(header)
    if missing:
        raise ContractFormatError(f"Dhan scrip master lacks the columns {sorted(missing)}", broker="dhan")
    positions = [header.index(column) for column in CSV_COLUMNS]
    pick, width = itemgetter(*positions), max(positions) + 1
    for values in reader:
        if len(values) >= width:
            yield pick(values)


def parse_scrip_master(text: str) -> Iterator[Instrument]:
    """Stream unified rows; every (exchange, symbol) stays unique (the first row wins — for equities
    listed in several series the EQ row comes first in Dhan's file)."""
    seen: set[tuple[str, str]] = set()
    for row in filter(None, map(_convert, _rows(text))):
        key = (row.exchange, row.symbol)
        if key in seen:
            continue
        seen.add(key)
        yield row


class DhanMasterContract(MasterContractLoader):
    """The public compact scrip master (no session needed) → unified rows."""

    def __init__(self, client: DhanClient):
        self.client = client

    def download(self, session: BrokerSession | None, progress: Callable[[str], None]) -> Iterator[Instrument]:
        progress("downloading the Dhan scrip master")
        text = self.client.text(self.client.scrip_master_url)
        progress("converting instruments")
        count = 0
        for count, row in enumerate(parse_scrip_master(text), start=1):
            yield row
        progress(f"{count} instruments read")
