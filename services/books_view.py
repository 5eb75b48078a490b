"""The books as the dashboard shows them: the API's own books (services/books.py) plus each order's
strategy tag (from the order journal, so it works for every broker), filtering by symbol, status and
strategy, and CSV export of exactly what is shown."""
from __future__ import annotations

import csv
import io
from typing import Any, Callable, Iterable

from database import journal
from services import books

BOOKS: dict[str, Callable[[int], dict[str, Any]]] = {"orderbook": books.orderbook, "tradebook": books.tradebook,
                                               "positions": books.positionbook, "holdings": books.holdings}
COLUMNS = {
    "orderbook": ("orderid", "timestamp", "strategy", "symbol", "exchange", "action", "quantity", "price",
                  "trigger_price", "pricetype", "product", "order_status"),
    "tradebook": ("orderid", "timestamp", "strategy", "symbol", "exchange", "product", "action", "quantity",
                  "average_price", "trade_value"),
    "positions": ("symbol", "exchange", "product", "quantity", "average_price", "ltp", "pnl"),
    "holdings": ("symbol", "exchange", "product", "quantity", "average_price", "pnl", "pnlpercent"),
}


def _rows_of(book: str, data: Any) -> list[dict[str, Any]]:
    if book == "orderbook":
        return data["orders"]
    if book == "holdings":
        return data["holdings"]
    return data


def _tag_strategies(user_id: int, rows: list[dict[str, Any]]) -> None:
    tags = journal.strategies_by_order(user_id, {str(r["orderid"]) for r in rows if r.get("orderid")})
    for row in rows:
        row["strategy"] = row.get("strategy") or tags.get(str(row.get("orderid")), "")


def load(user_id: int, book: str, filters: dict[str, str] | None = None) -> dict[str, Any]:
    """The API's book with `data` holding `rows` (filtered) and `statistics`; raises like the API."""
    body = BOOKS[book](user_id)
    rows = _rows_of(book, body["data"])
    if book in ("orderbook", "tradebook"):
        _tag_strategies(user_id, rows)
    stats = body["data"].get("statistics", {}) if isinstance(body["data"], dict) else {}
    shown = filter_rows(rows, **(filters or {}))
    return {"status": "success", "data": {"rows": shown, "total": len(rows), "statistics": stats,
                                          **({"mode": body["mode"]} if "mode" in body else {})}}


def filter_rows(rows: Iterable[dict[str, Any]], symbol: str = "", status: str = "", strategy: str = "") -> list[dict[str, Any]]:
    """Symbol: case-insensitive substring; status and strategy: exact (case-insensitive)."""
    symbol, status, strategy = symbol.strip().upper(), status.strip().lower(), strategy.strip().lower()
    return [row for row in rows
            if (not symbol or symbol in str(row.get("symbol", "")).upper())
            and (not status or str(row.get("order_status", "")).lower() == status)
            and (not strategy or str(row.get("strategy", "")).lower() == strategy)]


def to_csv(book: str, rows: Iterable[dict[str, Any]]) -> str:
    """Spreadsheet-safe CSV: a cell starting with = + - @ is prefixed with ' so it is never a formula."""
    return write_csv(COLUMNS[book], rows)


def write_csv(columns: Iterable[str], rows: Iterable[dict[str, Any]]) -> str:
    """`rows` as CSV with a header of `columns`, each cell made spreadsheet-safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    columns = tuple(columns)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column, "")) for column in columns])
    return out.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and not _is_number(value):
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
