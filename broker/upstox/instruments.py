"""Upstox's instrument master (the gzipped JSON "BOD" file) → unified master-contract rows.

Upstox publishes every tradable contract once a day at
https://assets.upstox.com/market-quote/instruments/exchange/complete.json.gz (docs, "Instruments"): a
JSON array of objects with `segment`, `instrument_key`, `trading_symbol`, `name`, `instrument_type`,
`lot_size`, `freeze_quantity`, `tick_size` (in paise), and for derivatives `expiry` (epoch ms),
`strike_price` and `underlying_symbol`.

Symbols are built only through utils/symbols.py: equities keep the trading symbol (a series suffix such as
`-SG` is dropped unless that would clash), futures are `NAMEDDMMMYYFUT`, options
`NAMEDDMMMYYSTRIKECE/PE`, indices get the OpenAlgo names on NSE_INDEX / BSE_INDEX. `token` is the
instrument key (what orders, quotes, history and the feed take), `brexchange` the segment and `brsymbol`
the trading symbol (quote answers are keyed `SEGMENT:TRADING_SYMBOL`).
"""
from __future__ import annotations

import gzip
import json
import re
from dataclasses import replace
from functools import lru_cache
from datetime import date, datetime
from typing import Any, Callable, Iterable, Iterator

from broker.contract import BrokerSession, Instrument, MasterContractLoader
from broker.errors import BrokerError
from broker.upstox.mapping import BROKER, IST, SEGMENT_TO_EXCHANGE
from utils.symbols import equity_symbol, future_symbol, option_symbol

INSTRUMENTS_URL = "https://assets.upstox.com/market-quote/instruments/exchange/complete.json.gz"
CASH_SEGMENTS = frozenset({"NSE_EQ", "BSE_EQ"})
INDEX_SEGMENTS = frozenset({"NSE_INDEX", "BSE_INDEX", "MCX_INDEX"})
REQUIRED_FIELDS = ("segment", "instrument_key", "trading_symbol", "instrument_type")

# index names (the `name` field) → the names the OpenAlgo API uses for them
INDEX_NAMES = {
    "NIFTY 50": "NIFTY", "NIFTY BANK": "BANKNIFTY", "NIFTY FIN SERVICE": "FINNIFTY",
    "NIFTY MID SELECT": "MIDCPNIFTY", "NIFTY NEXT 50": "NIFTYNXT50", "INDIA VIX": "INDIAVIX",
    "SENSEX": "SENSEX", "BANKEX": "BANKEX", "SNSX50": "SENSEX50", "SENSEX 50": "SENSEX50",
}
_NOT_SYMBOL = re.compile(r"[^A-Z0-9&]")


class ContractFormatError(BrokerError):
    """The download is not Upstox's instrument JSON."""


def read_master(data: bytes) -> list[dict[str, Any]]:
    """The downloaded file (gzipped or plain JSON) → its list of rows."""
    try:
        text = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
        rows = json.loads(text)
    except (OSError, EOFError, ValueError) as exc:
        raise ContractFormatError(f"the Upstox instrument file is not gzipped JSON: {exc}", broker=BROKER) from None
    if not isinstance(rows, list) or (rows and not isinstance(rows[0], dict)):
        raise ContractFormatError("the Upstox instrument file is not a JSON array of objects", broker=BROKER)
    if rows and any(name not in rows[0] for name in REQUIRED_FIELDS):
        raise ContractFormatError(f"Upstox instrument rows lack one of {list(REQUIRED_FIELDS)}", broker=BROKER)
    return rows


@lru_cache(maxsize=8192)     # a master has a few hundred distinct expiries across 100k rows
def expiry_date(value: Any) -> date | None:
    """`expiry` is epoch milliseconds (the contract's last moment, IST) → its IST date."""
    try:
        millis = int(value or 0)
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(millis / 1000, IST).date() if millis > 0 else None


@lru_cache(maxsize=65536)
def _symbol_part(text: str) -> str:
    return _NOT_SYMBOL.sub("", text.upper())


def index_symbol(row: dict[str, Any]) -> str:
    name = str(row.get("name") or "").strip().upper()
    return INDEX_NAMES.get(name) or _NOT_SYMBOL.sub("", str(row["trading_symbol"]).upper())


def underlying(row: dict[str, Any]) -> str:
    return _symbol_part(row.get("underlying_symbol") or row.get("asset_symbol") or row.get("name") or "")


def _symbol(segment: str, kind: str, row: dict[str, Any], trading_symbol: str, expiry: date | None,
            strike: float) -> tuple[str, str] | None:
    """(OpenAlgo symbol, instrument type) of one row; None for what we do not offer."""
    if segment in INDEX_SEGMENTS:
        return index_symbol(row), "INDEX"
    if segment in CASH_SEGMENTS:
        return equity_symbol(trading_symbol), "EQ"
    if expiry is None:
        return None
    if kind == "FUT":
        return future_symbol(underlying(row), expiry), kind
    if kind in ("CE", "PE"):
        return option_symbol(underlying(row), expiry, strike, kind), kind
    return None


def convert_row(row: dict[str, Any]) -> Instrument | None:
    """One row → a unified row; None for what we do not offer (other segments, spreads, rows with gaps
    or unreadable numbers). Written for speed: it runs once per row of a 100k-row file."""
    get = row.get
    segment = get("segment")
    exchange = SEGMENT_TO_EXCHANGE.get(segment)       # type: ignore[arg-type]
    key, trading_symbol = get("instrument_key"), get("trading_symbol")
    if exchange is None or not key or not trading_symbol:
        return None
    try:
        kind = (get("instrument_type") or "").upper()
        expiry = expiry_date(get("expiry"))
        strike = float(get("strike_price") or 0)
        named = _symbol(segment, kind, row, trading_symbol, expiry, strike)
        if named is None:
            return None
        symbol, kind = named
        freeze = get("freeze_quantity")
        return Instrument(
            symbol=symbol, brsymbol=trading_symbol, name=get("name") or symbol, exchange=exchange,
            brexchange=segment, token=key, expiry=expiry, strike=strike if kind in ("CE", "PE") else 0.0,
            lotsize=int(get("lot_size") or 1), tick_size=round(float(get("tick_size") or 5.0) / 100, 4),
            instrumenttype=kind, freeze_qty=int(freeze) if freeze and freeze > 0 else None)
    except (TypeError, ValueError, AttributeError):
        return None


def parse_instruments(rows: Iterable[dict[str, Any]]) -> Iterator[Instrument]:
    """Unified rows, every (exchange, symbol) unique: when dropping a series suffix would make two
    equities share a symbol, the plain one keeps it and the other keeps its trading symbol."""
    rows = list(rows)
    plain = {(SEGMENT_TO_EXCHANGE.get(r.get("segment")), r.get("trading_symbol")) for r in rows
             if r.get("segment") in CASH_SEGMENTS and equity_symbol(str(r.get("trading_symbol") or "")) == r.get("trading_symbol")}
    seen: set[tuple[str, str]] = set()
    for row in filter(None, map(convert_row, rows)):
        key = (row.exchange, row.symbol)
        if row.symbol != row.brsymbol and row.instrumenttype == "EQ" and (key in plain or key in seen):
            row = replace(row, symbol=row.brsymbol)
            key = (row.exchange, row.symbol)
        if key in seen:
            continue          # a true duplicate in the file: the first one wins
        seen.add(key)
        yield row


class UpstoxMasterContract(MasterContractLoader):
    """The daily JSON file (no session needed) → unified rows."""

    def __init__(self, client: Any, url: str = INSTRUMENTS_URL):
        self.client = client
        self.url = url

    def download(self, session: BrokerSession | None, progress: Callable[[str], None]) -> Iterator[Instrument]:
        progress("downloading the Upstox instrument file")
        rows = read_master(self.client.content(self.url))
        progress(f"converting {len(rows)} instruments")
        count = 0
        for count, row in enumerate(parse_instruments(rows), start=1):
            yield row
        progress(f"{count} instruments read")
