"""Analyzer (sandbox) mode per user (API_CONTRACT.md §9): status and toggle.

The analyzer log is the order journal itself: every order request made while the mode is on is
journaled with `mode = "analyze"` (with its validation result in status/message), and the status
endpoint counts those rows.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from database import db, journal
from database.journal import JournalEntry
from services import audit, order_target, user_settings


def _logs(user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(JournalEntry).where(
        JournalEntry.user_id == user_id, JournalEntry.mode == order_target.MODE_ANALYZE)) or 0


def status(user_id: int) -> dict[str, Any]:
    on = order_target.analyzer_on(user_id)
    return {"analyze_mode": on, "mode": "analyze" if on else "live", "total_logs": _logs(user_id)}


def toggle(user_id: int, on: bool, market: str | None = None) -> dict[str, Any]:
    """Switch analyzer mode; `market` (live / simulated), when given, chooses the sandbox's market."""
    user_settings.set_value(user_id, order_target.ANALYZER_SETTING, bool(on))
    if market is not None:
        user_settings.set_value(user_id, order_target.ANALYZER_MARKET_SETTING, market)
    audit.record(user_id, "analyzer_toggled", analyze_mode=bool(on), market=market or "")
    mode = "analyze" if on else "live"
    return {**status(user_id), "message": f"Analyzer mode switched to {mode}"}


def log(user_id: int, *, action: str | None = None, status: str | None = None, strategy: str | None = None,
        limit: int = 200) -> list[dict[str, Any]]:
    """The analyzer log, newest first: each analyze-mode request, its validation result and the simulated
    response (the journal never holds the API key)."""
    rows = journal.entries_for_user(user_id, limit=limit, mode=order_target.MODE_ANALYZE, action=action,
                                    status=status, strategy=strategy)
    return [{"id": row.id, "at": row.created_at, "action": row.action, "strategy": row.strategy or "",
             "status": row.status, "http_status": row.http_status, "orderid": row.orderid or "",
             "message": row.message or "", "request": row.request_json, "response": row.response_json}
            for row in rows]
