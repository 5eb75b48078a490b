"""Strategy webhooks (API_CONTRACT.md §12): `POST /strategy/webhook/<id>` (TradingView, the `openalgo`
client's `Strategy.strategyorder`) and `POST /chartink/webhook/<id>` (ChartInk scan alerts).

The webhook id in the URL is the only credential (no API key, no CSRF: web_security exempts these
paths). Each id has its own rate limit (WEBHOOK_RATE_LIMIT). A 200 means the alert is committed to the
queue; a worker places the order. Errors carry the contract's `error` key beside the usual envelope.
"""
from __future__ import annotations

from typing import Any, Callable

from flask import Blueprint, current_app, jsonify, request

from services import strategy_alerts, strategy_worker
from utils import limiter
from utils.errors import DomainError, ServiceFailure, TooManyRequests
from utils.logging import get_logger
from utils.responses import RATE_LIMIT_MESSAGE, domain_error_response

bp = Blueprint("webhooks", __name__)
log = get_logger(__name__)


def _error(exc: DomainError):
    """The envelope of the one mapping plus the contract's `error` key (the same text as `message`)."""
    return domain_error_response(exc, error=exc.message)


def _handle(webhook_id: str, accept: Callable[[str, Any], dict[str, Any]]):
    try:
        limiter.enforce_webhook_limit(webhook_id)
    except limiter.RateLimited as exc:
        return _error(TooManyRequests(RATE_LIMIT_MESSAGE, retry_after=exc.retry_after))
    data = request.get_json(silent=True, force=True)
    try:
        body = accept(webhook_id, data)
    except DomainError as exc:
        return _error(exc)
    except Exception:  # noqa: BLE001 — the caller gets the contract's JSON 500, never a page
        log.exception("webhook alert could not be queued")
        return _error(ServiceFailure("Internal server error"))
    strategy_worker.wake(current_app._get_current_object())
    return jsonify(body)


@bp.post("/strategy/webhook/<webhook_id>")
def strategy_webhook(webhook_id: str):
    return _handle(webhook_id, strategy_alerts.accept_tradingview)


@bp.post("/chartink/webhook/<webhook_id>")
def chartink_webhook(webhook_id: str):
    return _handle(webhook_id, strategy_alerts.accept_chartink)
