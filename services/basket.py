"""`basketorder` (API_CONTRACT.md §3.3): every BUY leg is submitted before any SELL leg (margin benefit),
legs of one side run concurrently on a bounded pool, each leg is journaled and reported on its own."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Mapping

from flask import Flask, current_app

from services import order_target
from services.latency import LatencyTimer
from services.order_target import MODE_ANALYZE, mode_of
from services.orders import place_order
from utils.errors import DomainError
from utils.responses import error_body

POOL_SIZE = 4


def basket_order(user_id: int, data: Mapping[str, Any], timer: LatencyTimer | None = None) -> dict[str, Any]:
    order_target.resolve(user_id)  # no broker session: one 403 for the basket, not one per leg
    app = current_app._get_current_object()
    strategy = data.get("strategy", "")
    legs = [{**leg, "strategy": strategy} for leg in data["orders"]]
    buys = [leg for leg in legs if leg["action"] == "BUY"]
    sells = [leg for leg in legs if leg["action"] == "SELL"]
    results = []
    with ThreadPoolExecutor(max_workers=POOL_SIZE) as pool:
        for side in (buys, sells):  # every BUY finishes before the first SELL starts
            results += list(pool.map(lambda leg: _leg(app, user_id, leg), side))
    body: dict[str, Any] = {"status": "success", "results": results}
    if mode_of(user_id) == MODE_ANALYZE:
        body["mode"] = "analyze"
    return body


def _leg(app: Flask, user_id: int, leg: Mapping[str, Any]) -> dict[str, Any]:
    with app.app_context():
        try:
            body = place_order(user_id, leg, LatencyTimer(), action="basketorder")
        except DomainError as exc:   # a failed leg is reported in its place; the others still go
            body = error_body(exc)
    body.pop("mode", None)
    return {"symbol": leg["symbol"], "exchange": leg["exchange"], "product": leg.get("product", "MIS"), **body}
