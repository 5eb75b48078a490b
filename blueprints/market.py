"""Symbols and charts: `/search` (instant results, exchange filter) and the symbol page
(`/symbol/<exchange>/<symbol>`: candlestick chart with an interval picker, quote, 5-level depth). The
chart's last candle follows the market-data WebSocket (LTP mode) when the proxy is running.

The JSON feeds call the market-data and symbol services the REST API uses; their errors (no broker,
unknown symbol, unsupported interval) come back as the API's envelope with its status.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable

from flask import Blueprint, jsonify, render_template, request

from blueprints import web_session
from blueprints.layout import feed_url
from blueprints.web_session import login_required
from services import market_data, symbols
from utils.errors import DomainError
from utils.responses import domain_error_response
from utils.constants import EXCHANGES
from utils.market_calendar import now_ist

bp = Blueprint("market", __name__)
CHART_INTERVALS = ("1m", "5m", "15m", "1h", "D")
_DAYS = {"1m": 3, "5m": 10, "15m": 20, "1h": 60, "D": 365}


def _answer(call: Callable[[], dict[str, Any]]):
    try:
        return jsonify(call())
    except DomainError as exc:
        return domain_error_response(exc)


def _user_id() -> int:
    return web_session.current_user().id


@bp.get("/search")
@login_required
def search():
    return render_template("market/search.html", exchanges=EXCHANGES, query=request.args.get("q", ""))


@bp.get("/search/data")
@login_required
def search_data():
    query, exchange = request.args.get("q", "")[:64], request.args.get("exchange", "") or None
    def found() -> dict[str, Any]:
        body = symbols.search(_user_id(), query, exchange)
        return {**body, "data": body["data"][:100], "total": len(body["data"])}
    return _answer(found)


@bp.get("/symbol/<exchange>/<path:symbol>")
@login_required
def symbol_page(exchange: str, symbol: str):
    """An unknown pair (or no broker) gets the page with the reason instead of a chart."""
    try:
        info, problem = symbols.symbol_info(_user_id(), symbol, exchange)["data"], None
    except DomainError as exc:
        info, problem = None, exc.message
    return render_template("market/symbol.html", exchange=exchange, symbol=symbol, intervals=CHART_INTERVALS,
                           info=info, problem=problem, feed_url=feed_url(_user_id()) if info else None)


@bp.get("/symbol/<exchange>/<path:symbol>/history")
@login_required
def history(exchange: str, symbol: str):
    interval = request.args.get("interval", "5m")
    if interval not in CHART_INTERVALS:
        return jsonify({"status": "error", "message": f"interval must be one of: {', '.join(CHART_INTERVALS)}"}), 400
    end = now_ist().date()
    return _answer(lambda: market_data.history(_user_id(), symbol, exchange, interval,
                                               end - timedelta(days=_DAYS[interval]), end))


@bp.get("/symbol/<exchange>/<path:symbol>/book")
@login_required
def book(exchange: str, symbol: str):
    """Quote and 5-level depth in one call (the page refreshes both together)."""
    return _answer(lambda: {"status": "success", "quote": market_data.quote(_user_id(), symbol, exchange)["data"],
                            "depth": market_data.depth(_user_id(), symbol, exchange)["data"]})
