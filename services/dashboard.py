"""What the dashboard shows at a glance, assembled from the same services as the REST API: funds,
open positions, today's order counts by status, and the master-contract status. Each part carries its
own error (e.g. no broker connected) so one failing part never blanks the page."""
from __future__ import annotations

from collections import Counter
from typing import Any, Callable

from services import books, broker_session, master_contract
from utils.errors import DomainError


def _part(read: Callable[[int], dict[str, Any]], user_id: int) -> dict[str, Any]:
    try:
        body = read(user_id)
    except DomainError as exc:
        return {"error": exc.message}
    return {"data": body["data"], "mode": body.get("mode", "live")}


def summary(user_id: int) -> dict[str, Any]:
    funds = _part(books.funds, user_id)
    positions = _part(books.positionbook, user_id)
    orders = _part(books.orderbook, user_id)
    if "data" in positions:
        rows = positions["data"]
        open_rows = [row for row in rows if float(row["quantity"]) != 0]
        positions["summary"] = {"open": len(open_rows), "pnl": round(sum(float(r["pnl"]) for r in rows), 2),
                                "rows": open_rows[:10]}
    if "data" in orders:
        orders["by_status"] = dict(Counter(row["order_status"] for row in orders["data"]["orders"]))
        orders["total"] = len(orders["data"]["orders"])
    state = broker_session.state(user_id)
    contract = master_contract.status(state["broker"]) if state["broker"] else None
    return {"funds": funds, "positions": positions, "orders": orders, "broker": state, "contract": contract}
