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
from datetime import date, datetime
from typing import Callable, Iterable, Iterator

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


def _expiry(text: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return datetime.strptime(text[:10], "%Y-%m-%d").date()
    except ValueError:
        return None


def _tick(paise: str) -> float:
    try:
        value = float(paise or 0) / 100
    except ValueError:
        return 0.05
    return round(value, 6) if value > 0 else 0.05


def convert_row(row: dict[str, str]) -> Instrument | None:
    """One CSV row → a unified row; None for rows we do not offer."""
    exchange, letter = (row.get("SEM_EXM_EXCH_ID") or "").strip(), (row.get("SEM_SEGMENT") or "").strip()
    segment = SEGMENT_LETTERS.get((exchange, letter))
    if segment is None:
        return None
    unified_exchange = to_unified_exchange(segment, exchange)
    kind = (row.get("SEM_INSTRUMENT_NAME") or "").strip().upper()
    trading_symbol = (row.get("SEM_TRADING_SYMBOL") or "").strip()
    security_id = (row.get("SEM_SMST_SECURITY_ID") or "").strip()
    if not trading_symbol or not security_id:
        return None
    name = (row.get("SM_SYMBOL_NAME") or "").strip()
    expiry, strike = None, 0.0
    if letter == "I":
        if kind != "INDEX":
            return None
        symbol = index_symbol(trading_symbol)
    elif kind == "EQUITY":
        symbol = trading_symbol.upper()
    elif kind in FUTURES or kind in OPTIONS:
        match = _DERIVATIVE.match(trading_symbol)
        expiry = _expiry(row.get("SEM_EXPIRY_DATE") or "")
        if match is None or expiry is None:
            return None
        base = match["base"]
        if kind in FUTURES:
            if match["strike"]:
                return None
            symbol = future_symbol(base, expiry)
        else:
            option_type = (row.get("SEM_OPTION_TYPE") or "").strip().upper()
            if option_type not in ("CE", "PE") or not match["strike"]:
                return None
            strike = float(row.get("SEM_STRIKE_PRICE") or match["strike"])
            symbol = option_symbol(base, expiry, strike, option_type)
        name = base
    else:
        return None
    return Instrument(symbol=symbol, brsymbol=trading_symbol, name=name or symbol, exchange=unified_exchange,
                      brexchange=segment, token=security_id, expiry=expiry, strike=strike,
                      lotsize=max(int(float(row.get("SEM_LOT_UNITS") or 1)), 1), tick_size=_tick(row.get("SEM_TICK_SIZE") or ""),
                      instrumenttype="EQ" if kind == "EQUITY" else kind)


def _rows(lines: Iterable[str]) -> csv.DictReader:
    reader = csv.DictReader(lines)
    missing = set(CSV_COLUMNS) - set(reader.fieldnames or ())
    if missing:
        raise ContractFormatError(f"Dhan scrip master lacks the columns {sorted(missing)}", broker="dhan")
    return reader


def parse_scrip_master(text: str) -> Iterator[Instrument]:
    """Stream unified rows; every (exchange, symbol) stays unique (the first row wins — for equities
    listed in several series the EQ row comes first in Dhan's file)."""
    seen: set[tuple[str, str]] = set()
    for row in filter(None, map(convert_row, _rows(io.StringIO(text)))):
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
