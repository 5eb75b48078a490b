"""`GET /health`: unauthenticated readiness for load balancers, monitors and scripts (services/health.py):
200 once the database answers and the WebSocket proxy accepts connections, 503 until then."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from services import health
from services.brokers import registry

bp = Blueprint("health", __name__)


@bp.get("/health")
def health_check():
    app = current_app._get_current_object()
    report, ready = health.check(app, app.extensions["openalgo.settings"], registry(app))
    response = jsonify(report)
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response
