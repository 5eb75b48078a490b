"""The one JSON error envelope, `{"status": "error", "message": ...}`, and the one place that maps the
domain error hierarchy (utils/errors.py, broker/errors.py) to HTTP: `error_envelope` gives the body and
status of any DomainError, `domain_error_response` the Flask response. restx_api/ and blueprints/
(webhooks included) answer errors only through these; the order journal records the same envelope."""
from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from utils.errors import DomainError

RATE_LIMIT_MESSAGE = "Rate limit exceeded. Please slow down your requests."

_DEFAULT_MESSAGES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    413: "Request body too large",
    429: RATE_LIMIT_MESSAGE,
    500: "Internal server error",
}


def error_response(status: int, message: Any, **extra: Any) -> Response:
    response = jsonify({"status": "error", "message": message, **extra})
    response.status_code = status
    return response


def http_status_of(exc: DomainError) -> int:
    """The HTTP status of a domain error: the `http_status` its class in the hierarchy declares."""
    return exc.http_status


def error_envelope(exc: DomainError) -> tuple[dict[str, Any], int]:
    """The contract's error body and HTTP status for a domain error (see utils/errors.py for the rules)."""
    extra = dict(exc.extra)
    if exc.field and "errors" not in extra:
        extra = {"errors": {exc.field: [exc.message]}, **extra}
    return {"status": "error", "message": exc.message, **extra}, http_status_of(exc)


def error_body(exc: DomainError) -> dict[str, Any]:
    """The envelope alone, for a failure reported inside a larger answer (a basket leg, a split child)."""
    return error_envelope(exc)[0]


def domain_error_response(exc: DomainError, **more: Any) -> Response:
    """`error_envelope` as a Flask response (`more`: keys a caller's contract adds, e.g. webhooks'
    `error`, placed right after `message`); a 429 or 503 with `retry_after` also carries the Retry-After
    header."""
    body, status = error_envelope(exc)
    status_key, message, *rest = body.items()
    response = jsonify(dict([status_key, message, *more.items(), *rest]))
    response.status_code = status
    retry_after = body.get("retry_after")
    if status in (429, 503) and retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def http_error_response(exc: HTTPException) -> Response:
    """Translate a Werkzeug HTTP exception into the envelope, keeping useful headers (Allow, Retry-After)."""
    status = exc.code or 500
    extra: dict[str, Any] = {}
    message = _DEFAULT_MESSAGES.get(status, exc.name)
    if status == 404:
        extra["path"] = request.path
    elif status == 405:
        allowed = sorted(m for m in getattr(exc, "valid_methods", None) or [] if m not in ("HEAD", "OPTIONS"))
        message = f"Method {request.method} not allowed for {request.path}; use {', '.join(allowed)}" if allowed else message
    elif status == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        message = f"Request body too large; the limit is {limit} bytes" if limit else message
    elif status == 400 and exc.description and "browser (or proxy) sent a request" not in exc.description:
        message = exc.description
    elif status == 429:
        extra["retry_after"] = _retry_after_seconds(exc)
        message = getattr(exc, "reason", None) or message
    response = error_response(status, message, **extra)
    if status == 405 and (allow := exc.get_response().headers.get("Allow")):
        response.headers["Allow"] = allow
    if status == 429:
        response.headers["Retry-After"] = str(extra["retry_after"])
    return response


def _retry_after_seconds(exc: HTTPException) -> int:
    explicit = getattr(exc, "retry_after", None)  # set by utils.limiter
    if isinstance(explicit, int):
        return explicit
    reset = getattr(getattr(exc, "limit", None), "reset_at", None)  # set by Flask-Limiter when available
    if isinstance(reset, (int, float)):
        import time

        return max(1, int(reset - time.time()))
    return 60


def wants_json() -> bool:
    """API clients get JSON errors; browsers get pages."""
    return request.path.startswith("/api/")
