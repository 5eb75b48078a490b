"""Kite's instrument dump (`GET /instruments`, CSV) → unified master-contract rows.

Symbols are built only through utils/symbols.py: equities drop the series suffix, futures are
`NAMEDDMMMYYFUT`, options `NAMEDDMMMYYSTRIKECE/PE`, indices get compact names on NSE_INDEX / BSE_INDEX.
`token` is Kite's `instrument_token` (what the ticker subscribes with and the history URL takes);
`brsymbol` / `brexchange` are what the order and quote endpoints take.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import date
from typing import Callable, Iterator

from broker.contract import BrokerSession, Instrument, MasterContractLoader
from broker.errors import BrokerError
from broker.zerodha.client import KiteClient
from broker.zerodha.mapping import to_unified_exchange
from utils.symbols import equity_symbol, future_symbol, option_symbol

CSV_COLUMNS = ("instrument_token", "exchange_token", "tradingsymbol", "name", "last_price", "expiry",
               "strike", "tick_size", "lot_size", "instrument_type", "segment", "exchange")
SUPPORTED_EXCHANGES = frozenset({"NSE", "BSE", "NFO", "BFO", "CDS", "BCD", "MCX"})

# Kite's index trading symbols → the names the OpenAlgo API uses for them
INDEX_NAMES = {
    "NIFTY 50": "NIFTY", "NIFTY BANK": "BANKNIFTY", "NIFTY FIN SERVICE": "FINNIFTY",
    "NIFTY MID SELECT": "MIDCPNIFTY", "NIFTY NEXT 50": "NIFTYNXT50", "INDIA VIX": "INDIAVIX",
    "SENSEX": "SENSEX", "BANKEX": "BANKEX", "SNSX50": "SENSEX50",
}
# the expiry part of Kite's derivative trading symbols: monthly `25JAN`, weekly `25130` / `251O7`
_KITE_DERIVATIVE_TAIL = re.compile(r"\d{2}(?:[A-Z]{3}|[1-9OND]\d{2})(?:\d+(?:\.\d+)?)?(?:CE|PE|FUT)$")


class ContractFormatError(BrokerError):
    """The dump is not Kite's instrument CSV (columns missing)."""


def index_symbol(trading_symbol: str) -> str:
    """`NIFTY 50` → `NIFTY`; indices without a known short name lose their spaces and punctuation."""
    name = trading_symbol.strip().upper()
    return INDEX_NAMES.get(name) or re.sub(r"[^A-Z0-9&]", "", name)


def underlying(row: dict[str, str]) -> str:
    """The derivative's underlying: the `name` column, or the trading symbol minus Kite's expiry tail
    (older dumps leave `name` empty for derivatives)."""
    name = (row.get("name") or "").strip().upper()
    if name:
        return re.sub(r"[^A-Z0-9&]", "", name)
    return _KITE_DERIVATIVE_TAIL.sub("", row["tradingsymbol"].upper())


def convert_row(row: dict[str, str]) -> Instrument | None:
    """One CSV row → a unified row; None for rows we do not offer (other exchanges, spreads...)."""
    exchange, segment = row["exchange"].strip(), row["segment"].strip()
    kind = row["instrument_type"].strip().upper()
    if exchange not in SUPPORTED_EXCHANGES:
        return None
    trading_symbol = row["tradingsymbol"].strip()
    expiry = date.fromisoformat(row["expiry"]) if row.get("expiry") else None
    strike = float(row.get("strike") or 0)
    name = (row.get("name") or "").strip()
    if segment == "INDICES":
        symbol, kind = index_symbol(trading_symbol), "INDEX"
    elif kind == "FUT" and expiry:
        symbol = future_symbol(underlying(row), expiry)
    elif kind in ("CE", "PE") and expiry:
        symbol = option_symbol(underlying(row), expiry, strike, kind)
    elif kind == "EQ":
        symbol = equity_symbol(trading_symbol)
    else:
        return None
    return Instrument(
        symbol=symbol, brsymbol=trading_symbol, name=name or symbol,
        exchange=to_unified_exchange(exchange, segment), brexchange=exchange,
        token=row["instrument_token"].strip(), expiry=expiry, strike=strike,
        lotsize=int(float(row.get("lot_size") or 1)), instrumenttype=kind,
        tick_size=float(row.get("tick_size") or 0.05))


def _reader(text: str) -> csv.DictReader:
    reader = csv.DictReader(io.StringIO(text))
    missing = set(CSV_COLUMNS) - set(reader.fieldnames or ())
    if missing:
        raise ContractFormatError(f"instrument CSV lacks the columns {sorted(missing)}")
    return reader


def parse_instruments(text: str) -> Iterator[Instrument]:
    """Stream the CSV's rows as unified rows. When dropping the series suffix would make two equities
    share a symbol (`CDSL` and `CDSL-BE`), the plain one keeps it and the other keeps its exchange
    name, so every (exchange, symbol) stays unique and no token is lost. A first pass over the text
    finds the plain names, so converted rows are never all held in memory."""
    plain = {(row["exchange"], row["tradingsymbol"]) for row in _reader(text)
             if row["segment"] != "INDICES" and row["instrument_type"] == "EQ"
             and equity_symbol(row["tradingsymbol"]) == row["tradingsymbol"]}
    seen: set[tuple[str, str]] = set()
    for row in filter(None, map(convert_row, _reader(text))):
        key = (row.exchange, row.symbol)
        if row.symbol != row.brsymbol and (key in plain or key in seen):
            row = replace(row, symbol=row.brsymbol)
            key = (row.exchange, row.symbol)
        if key in seen:
            continue        # a true duplicate in the dump: the first one wins
        seen.add(key)
        yield row


class ZerodhaMasterContract(MasterContractLoader):
    """`GET /instruments` (the whole dump, gzipped CSV, no session needed) → unified rows."""

    def __init__(self, client: KiteClient):
        self.client = client

    def download(self, session: BrokerSession | None, progress: Callable[[str], None]) -> Iterator[Instrument]:
        progress("downloading the Zerodha instrument list")
        text = self.client.text("/instruments", session)
        progress("converting instruments")
        count = 0
        for count, row in enumerate(parse_instruments(text), start=1):
            yield row
        progress(f"{count} instruments read")
