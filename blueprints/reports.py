"""`/reports/pnl`: the sandbox account's P&L report — today's P&L per symbol, the day-by-day history
(table and chart) and their CSV downloads — from services/pnl_report.py. Read-only GET pages of the
signed-in user's own sandbox; `?days=N` (1-366, default 30) sets the history's span."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, request

from blueprints import web_session
from blueprints.errors import json_errors
from blueprints.web_session import login_required
from services import pnl_report
from services.books_view import write_csv
from utils.errors import DomainError
from utils.market_calendar import now_ist

bp = Blueprint("reports", __name__)

TODAY_COLUMNS = ("symbol", "exchange", "product", "quantity", "average_price", "ltp", "buy_quantity",
                 "buy_average", "sell_quantity", "sell_average", "today_realized_pnl", "unrealized_pnl",
                 "total_pnl_today", "charges")
HISTORY_COLUMNS = ("date", "realized_pnl", "unrealized_pnl", "total_pnl", "charges", "net_pnl", "cumulative_pnl",
                   "symbols")
SYMBOL_HISTORY_COLUMNS = ("date", "symbol", "exchange", "product", "quantity", "average_price", "close_price",
                          "buy_quantity", "buy_average", "sell_quantity", "sell_average", "realized_pnl",
                          "unrealized_pnl", "total_pnl", "charges")


def _user_id() -> int:
    return web_session.current_user().id


def _history() -> pnl_report.History:
    return pnl_report.sandbox_history(_user_id(), pnl_report.history_days(request.args.get("days")))


def _csv(columns: tuple[str, ...], rows: list[dict], name: str) -> Response:
    return Response(write_csv(columns, rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/reports/pnl")
@login_required
def pnl():
    try:
        report, error, status = _history(), "", 200
    except DomainError as exc:    # a bad ?days=, no sandbox market: the page still renders, saying why
        report, error, status = None, exc.message, exc.http_status
    return render_template("reports/pnl.html", report=report, error=error,
                           days=request.args.get("days", "")[:8]), status


@bp.get("/reports/pnl/data")
@login_required
@json_errors
def pnl_data():
    report = _history()
    return jsonify({"status": "success", "today": report.today, "days": report.days})


@bp.get("/reports/pnl/today.csv")
@login_required
@json_errors
def today_csv():
    today = pnl_report.sandbox_today(_user_id())
    return _csv(TODAY_COLUMNS, today["data"], f"sandbox-pnl-{_stamp()}.csv")


@bp.get("/reports/pnl/history.csv")
@login_required
@json_errors
def history_csv():
    detail = pnl_report.history_detail(request.args.get("detail"))
    report = _history()
    if detail == "symbols":
        rows = pnl_report.recorded_symbol_rows(_user_id(), report.since, report.until)
        return _csv(SYMBOL_HISTORY_COLUMNS, rows, f"sandbox-pnl-history-symbols-{_stamp()}.csv")
    return _csv(HISTORY_COLUMNS, report.days, f"sandbox-pnl-history-{_stamp()}.csv")


def _stamp() -> str:
    return now_ist().strftime("%Y-%m-%d")
