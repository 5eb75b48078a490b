"""`POST /postback/<broker>`: order updates brokers send to the app (register this URL with the broker,
e.g. https://your-host/postback/zerodha in the Kite developer console). No session, no CSRF: the
broker's signature in the payload is the credential (services/order_postbacks.py)."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from blueprints.errors import json_errors
from services import order_postbacks

bp = Blueprint("postbacks", __name__)


@bp.post("/postback/<broker>")
@json_errors
def postback(broker: str):  # noqa: ANN201
    return jsonify(order_postbacks.receive(broker, request.get_json(silent=True, force=True)))
