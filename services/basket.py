"""`basketorder` (API_CONTRACT.md §3.3): every BUY leg is submitted before any SELL leg (margin benefit),
legs of one side run concurrently on a bounded pool, each leg is journaled and reported on its own."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Mapping

from flask import Flask, current_app

from broker.errors import BrokerError
from services import order_flow, order_target
from services.latency import LatencyTimer
from services.order_flow import Outcome
from services.order_target import MODE_ANALYZE, mode_of
from services.orders import place_order

POOL_SIZE = 4


def basket_order(user_id: int, data: Mapping[str, Any], timer: LatencyTimer | None = None) -> Outcome:
    try:
        order_target.resolve(user_id)  # no broker session: one 403 for the basket, not one per leg
    except BrokerError as exc:
        return order_flow.error_body(exc)
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
    return body, 200


def _leg(app: Flask, user_id: int, leg: Mapping[str, Any]) -> dict[str, Any]:
    with app.app_context():
        body, _ = place_order(user_id, leg, LatencyTimer(), action="basketorder")
    body.pop("mode", None)
    return {"symbol": leg["symbol"], "exchange": leg["exchange"], "product": leg.get("product", "MIS"), **body}
