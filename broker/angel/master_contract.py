"""Angel One's scrip master (OpenAPIScripMaster.json, one JSON list, no login needed) → unified rows.

Each row: `token, symbol (Angel's trading symbol), name, expiry (DDMMMYYYY), strike, lotsize,
instrumenttype, exch_seg, tick_size` (docs, "Instruments"), numbers as strings. Strikes are stored ×100
(currency options ×10^7) and tick sizes in paise. Indices are `AMXIDX` rows of NSE / BSE / MCX and go to
NSE_INDEX / BSE_INDEX / MCX_INDEX; futures (FUTIDX, FUTSTK, FUTCOM, FUTCUR) become `NAMEDDMMMYYFUT`,
options (OPTIDX, OPTSTK, OPTFUT, OPTCUR) `NAMEDDMMMYYSTRIKECE|PE`, equities lose their series suffix;
symbols are built only with utils/symbols.py. `token` is what the order, quote and SmartStream calls take.
"""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator

from broker.angel.client import SmartApiClient
from broker.contract import BrokerSession, Instrument, MasterContractLoader
from broker.errors import BrokerError
from utils.symbols import equity_symbol, future_symbol, option_symbol

MASTER_URL = "https://margincalculator.angelbroking.com/OpenAPI_File/files/OpenAPIScripMaster.json"
SUPPORTED_EXCHANGES = frozenset({"NSE", "BSE", "NFO", "BFO", "CDS", "MCX"})
FUTURES = frozenset({"FUTIDX", "FUTSTK", "FUTCOM", "FUTCUR", "FUTIRC", "FUTIRT"})
OPTIONS = frozenset({"OPTIDX", "OPTSTK", "OPTFUT", "OPTCUR", "OPTIRC"})
COLUMNS = ("token", "symbol", "name", "expiry", "strike", "lotsize", "instrumenttype", "exch_seg", "tick_size")
# Angel's index names → the names the OpenAlgo API uses for them
INDEX_NAMES = {
    "NIFTY 50": "NIFTY", "NIFTY BANK": "BANKNIFTY", "NIFTY FIN SERVICE": "FINNIFTY",
    "NIFTY MID SELECT": "MIDCPNIFTY", "NIFTY NEXT 50": "NIFTYNXT50", "INDIA VIX": "INDIAVIX",
    "SENSEX": "SENSEX", "BANKEX": "BANKEX", "SNSX50": "SENSEX50", "SENSEX50": "SENSEX50",
}


class ContractFormatError(BrokerError):
    """The download is not Angel's scrip master (not a list of rows with the documented keys)."""


def _strike(row: dict[str, Any], exchange: str) -> float:
    raw = float(row.get("strike") or 0)
    return round(raw / (10_000_000 if exchange == "CDS" else 100), 4)


_NOT_SYMBOL_CHARS = re.compile(r"[^A-Z0-9&]")


@lru_cache(maxsize=8192)
def _expiry(text: str) -> date | None:
    """`26DEC2024` → date; cached: a 100k-row master has a few hundred distinct expiries."""
    return datetime.strptime(text.strip().upper(), "%d%b%Y").date() if text and text.strip() else None


@lru_cache(maxsize=65536)
def _underlying(name: str) -> str:
    return _NOT_SYMBOL_CHARS.sub("", name.upper())


def index_symbol(row: dict[str, Any]) -> str:
    for candidate in (row.get("symbol") or "", row.get("name") or ""):
        known = INDEX_NAMES.get(candidate.strip().upper())
        if known:
            return known
    return _underlying(row.get("symbol") or row.get("name") or "")


def convert_row(row: dict[str, Any]) -> Instrument | None:
    """One scrip-master row → a unified row; None for rows we do not offer (other segments, spreads...)."""
    exchange = str(row.get("exch_seg") or "").strip()
    kind = str(row.get("instrumenttype") or "").strip().upper()
    if exchange not in SUPPORTED_EXCHANGES:
        return None
    trading_symbol = str(row["symbol"]).strip()
    name = _underlying(str(row.get("name") or ""))
    expiry = _expiry(str(row.get("expiry") or ""))
    strike = 0.0
    unified_exchange = exchange
    if kind == "AMXIDX":
        if exchange not in ("NSE", "BSE", "MCX"):
            return None
        symbol, kind, unified_exchange = index_symbol(row), "INDEX", f"{exchange}_INDEX"
    elif kind in FUTURES and expiry and name:
        symbol, kind = future_symbol(name, expiry), "FUT"
    elif kind in OPTIONS and expiry and name and trading_symbol[-2:] in ("CE", "PE"):
        strike = _strike(row, exchange)
        kind = trading_symbol[-2:]
        symbol = option_symbol(name, expiry, strike, kind)
    elif not kind and exchange in ("NSE", "BSE") and not expiry:
        symbol, kind = equity_symbol(trading_symbol), "EQ"
    else:
        return None
    tick = float(row.get("tick_size") or 0) / 100
    return Instrument(symbol=symbol, brsymbol=trading_symbol, name=str(row.get("name") or symbol).strip(),
                      exchange=unified_exchange, brexchange=exchange, token=str(row["token"]).strip(),
                      expiry=expiry, strike=strike, lotsize=max(1, int(float(row.get("lotsize") or 1))),
                      tick_size=round(tick, 6) if tick > 0 else 0.05, instrumenttype=kind)


def parse_scrip_master(rows: Iterable[dict[str, Any]]) -> Iterator[Instrument]:
    """The scrip master's rows as unified rows. When dropping the series suffix would make two equities
    share a symbol (`SBIN-EQ` and `SBIN-BE`), the `-EQ` one keeps it and the other keeps Angel's name, so
    every (exchange, symbol) stays unique and no token is lost."""
    rows = list(rows)
    if rows and (not isinstance(rows[0], dict) or set(COLUMNS) - set(rows[0])):
        raise ContractFormatError(f"scrip master rows lack the keys {sorted(set(COLUMNS) - set(rows[0] or {}))}")
    primary = {(row["exch_seg"], equity_symbol(row["symbol"])) for row in rows
               if not row.get("instrumenttype") and str(row["symbol"]).upper().endswith("-EQ")}
    seen: set[tuple[str, str]] = set()
    for raw in rows:
        row = convert_row(raw)
        if row is None:
            continue
        key = (row.exchange, row.symbol)
        if row.instrumenttype == "EQ" and row.symbol != row.brsymbol and not row.brsymbol.upper().endswith("-EQ") \
                and key in primary:
            row = replace(row, symbol=row.brsymbol.upper())
            key = (row.exchange, row.symbol)
        if key in seen:
            continue        # a true duplicate in the file: the first one wins
        seen.add(key)
        yield row


class AngelMasterContract(MasterContractLoader):
    """`GET OpenAPIScripMaster.json` (public, ~40 MB) → unified rows."""

    def __init__(self, client: SmartApiClient, url: str = MASTER_URL):
        self.client = client
        self.url = url

    def download(self, session: BrokerSession | None, progress: Callable[[str], None]) -> Iterator[Instrument]:
        progress("downloading the Angel One scrip master")
        # a public file on another host: no SmartAPI headers (the API key stays with SmartAPI); big, so a
        # longer read timeout than API calls get
        response = self.client.http.request("GET", self.url, bucket="quotes", timeout=(10, 120))
        try:
            rows = response.json() if response.status_code == 200 else None
        except ValueError:
            rows = None
        if not isinstance(rows, list):
            raise ContractFormatError(f"Angel One's scrip master download failed (HTTP {response.status_code}, not a JSON "
                                     "list)", broker="angel")
        progress("converting instruments")
        count = 0
        for count, row in enumerate(parse_scrip_master(rows), start=1):
            yield row
        progress(f"{count} instruments read")
