"""The books pages (/orderbook, /tradebook, /positions, /holdings), their JSON and CSV feeds, and the
order actions (cancel, modify, cancel all, close one position, close all).

Pages are shells; static/js/books.js fills the table from `/<book>/data`. The order book then follows
the user's `order_update` stream on the WebSocket proxy (the same events `subscribe_orders` gives
scripts), changing rows in place; without the proxy, and on the other books, it re-reads when the
server pushes an order event (blueprints/events.py). Actions are AJAX POSTs carrying the CSRF header,
validated with the REST API's own schemas (minus the API key) and run through the same services, so
they are journaled and obey analyzer mode exactly like API calls. Actions are tagged strategy
"dashboard" where the contract wants one.
"""
from __future__ import annotations

from typing import Any, Callable

from flask import Blueprint, Response, jsonify, render_template, request
from marshmallow import Schema

from blueprints import web_session
from blueprints.errors import json_errors
from blueprints.layout import feed_url
from blueprints.web_session import login_required
from restx_api.parsing import parse
from restx_api.schemas.orders import ModifyOrderSchema, OpenPositionSchema, OrderIdSchema, StrategyOnlySchema
from services import books_view, orders, positions, smart_order
from utils.errors import InvalidInput

bp = Blueprint("books", __name__)
DASHBOARD_STRATEGY = "dashboard"
_TITLES = {"orderbook": "Order book", "tradebook": "Trade book", "positions": "Positions", "holdings": "Holdings"}


def _user_id() -> int:
    return web_session.current_user().id


def _page(book: str):
    """The order book follows the user's order events on the WebSocket proxy when it runs (the feed
    scripts subscribe to); the other books re-read on the dashboard's server-sent events."""
    return render_template("books/book.html", book=book, title=_TITLES[book],
                           feed_url=feed_url(_user_id()) if book == "orderbook" else None)


def _filters() -> dict[str, str]:
    return {name: request.args.get(name, "")[:64] for name in ("symbol", "status", "strategy")}


@bp.get("/orderbook")
@login_required
def orderbook():
    return _page("orderbook")


@bp.get("/tradebook")
@login_required
def tradebook():
    return _page("tradebook")


@bp.get("/positions")
@login_required
def positions_page():
    return _page("positions")


@bp.get("/holdings")
@login_required
def holdings():
    return _page("holdings")


@bp.get("/<any(orderbook, tradebook, positions, holdings):book>/data")
@login_required
@json_errors
def data(book: str):
    return jsonify(books_view.load(_user_id(), book, _filters()))


@bp.get("/<any(orderbook, tradebook, positions, holdings):book>/export.csv")
@login_required
@json_errors
def export(book: str):
    body = books_view.load(_user_id(), book, _filters())
    return Response(books_view.to_csv(book, body["data"]["rows"]), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{book}.csv"'})


# ------------------------------------------------------------------------------------------ actions
@json_errors
def _act(schema: Schema, service: Callable[[int, dict[str, Any]], dict[str, Any]], **defaults: Any):
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise InvalidInput("Request body must be a JSON object")
    return jsonify(service(_user_id(), parse(schema, {**defaults, **payload})))


def _schema(cls: type[Schema]) -> Schema:
    return cls(exclude=("apikey",))


@bp.post("/orders/cancel")
@login_required
def cancel_order():
    return _act(_schema(OrderIdSchema), orders.cancel_order)


@bp.post("/orders/modify")
@login_required
def modify_order():
    return _act(_schema(ModifyOrderSchema), orders.modify_order, strategy=DASHBOARD_STRATEGY)


@bp.post("/orders/cancel-all")
@login_required
def cancel_all_orders():
    return _act(_schema(StrategyOnlySchema), orders.cancel_all_orders)


@bp.post("/positions/close")
@login_required
def close_position():
    """Close one position: a smart order with target size 0 (the broker's market order for the rest)."""
    def close(user_id: int, data: dict[str, Any]):
        order = {**data, "action": "BUY", "quantity": 0, "position_size": 0, "pricetype": "MARKET",
                 "price": 0, "trigger_price": 0, "strategy": data.get("strategy") or DASHBOARD_STRATEGY}
        return smart_order.place_smart_order(user_id, order)
    return _act(_schema(OpenPositionSchema), close)


@bp.post("/positions/close-all")
@login_required
def close_all_positions():
    return _act(_schema(StrategyOnlySchema), positions.close_position, strategy=DASHBOARD_STRATEGY)
