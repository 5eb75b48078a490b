"""Symbol and instrument use cases (API_CONTRACT.md §7): symbol lookup, search, expiry lists, instruments.

All of them read the user's broker's master contract (`symtoken`). Search and expiry use an in-memory
`SymbolIndex` built once per broker and master-contract version (a new download anywhere bumps the
version, and the next query rebuilds); the build takes a lock so concurrent first queries build once.
"""
from __future__ import annotations

import csv
import io
import threading
from typing import Any, Iterator

from flask import current_app
from sqlalchemy import select

from database import db
from database.symtoken import SymToken
from services import master_contract
from services.broker_session import live_session
from utils.errors import NotFound
from services.symbol_search import SymbolIndex, expiry_response, search_response
from utils.market_calendar import now_ist

RECORD_COLUMNS = ("symbol", "brsymbol", "name", "exchange", "brexchange", "token", "expiry", "strike",
                  "lotsize", "instrumenttype", "tick_size")
_INDEX_EXTENSION = "openalgo.symbol_indexes"
_index_lock = threading.Lock()


def record(row: Any, *, with_freeze_qty: bool = True) -> dict[str, Any]:
    """A symtoken row as the §7 instrument record (numbers typed as the contract shows)."""
    data = {name: getattr(row, name) for name in RECORD_COLUMNS}
    data.update(strike=float(row.strike or 0.0), lotsize=int(row.lotsize or 1), tick_size=float(row.tick_size or 0),
                expiry=row.expiry or "", name=row.name or "")
    if with_freeze_qty:
        data["freeze_qty"] = row.freeze_qty if row.freeze_qty is not None else 1
    return data


def _rows(broker: str, exchange: str | None = None) -> Iterator[Any]:
    table = SymToken.__table__
    query = select(table).where(table.c.broker == broker)
    if exchange:
        query = query.where(table.c.exchange == exchange)
    with db.engine.connect() as connection:
        yield from connection.execute(query.order_by(table.c.id))


def symbol_index(broker: str) -> SymbolIndex:
    """The search index of `broker`'s current master contract (rebuilt when the version changes)."""
    version = master_contract.current_version(broker)
    indexes = current_app.extensions.setdefault(_INDEX_EXTENSION, {})
    cached = indexes.get(broker)
    if cached and cached[0] == version:
        return cached[1]
    with _index_lock:
        cached = indexes.get(broker)
        if cached and cached[0] == version:
            return cached[1]
        index = SymbolIndex(record(row) for row in _rows(broker))
        indexes[broker] = (version, index)
        return index


# ------------------------------------------------------------------------------------------ use cases
def symbol_info(user_id: int, symbol: str, exchange: str) -> dict[str, Any]:
    """§7.1; 404 with the contract's message when the pair is not in the master contract."""
    broker = live_session(user_id).name
    table = SymToken.__table__
    with db.engine.connect() as connection:
        row = connection.execute(select(table).where(table.c.broker == broker, table.c.symbol == symbol,
                                                     table.c.exchange == exchange)).first()
    if row is None:
        raise NotFound(f"Symbol {symbol} not found in exchange {exchange}", field="symbol")
    return {"status": "success", "data": {"id": row.id, **record(row)}}


def search(user_id: int, query: Any, exchange: Any = None) -> dict[str, Any]:
    return search_response(symbol_index(live_session(user_id).name), query, exchange)


def expiry(user_id: int, symbol: Any, exchange: Any, instrumenttype: Any) -> dict[str, Any]:
    broker = live_session(user_id).name
    table = SymToken.__table__
    base = str(symbol or "").strip().upper()
    with db.engine.connect() as connection:
        symbols = connection.scalars(select(table.c.symbol).where(
            table.c.broker == broker, table.c.exchange == exchange, table.c.symbol.like(f"{base}%"))).all()
    return expiry_response(symbols, symbol, exchange, instrumenttype, now_ist().date())


def instruments(user_id: int, exchange: str | None) -> list[dict[str, Any]]:
    """§7.4 rows of one exchange, or of every exchange when `exchange` is None."""
    broker = live_session(user_id).name
    return [record(row, with_freeze_qty=False) for row in _rows(broker, exchange)]


def instruments_json(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"status": "success", "message": f"Found {len(records)} instruments", "data": records}


def instruments_csv(records: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=RECORD_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue()

