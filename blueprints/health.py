"""`GET /health`: unauthenticated liveness and readiness for load balancers and monitors."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from services import health

bp = Blueprint("health", __name__)


@bp.get("/health")
def health_check():
    report, healthy = health.check(current_app.extensions["openalgo.settings"])
    response = jsonify(report)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
