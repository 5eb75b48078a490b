"""The one JSON error envelope, `{"status": "error", "message": ...}`, and its HTTP mapping."""
from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

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


def broker_error_response(exc: Exception) -> Response:
    """A broker.errors.BrokerError in the envelope, with the status the error tree assigns it (403 no or
    expired broker session, 400 rejected, 404 order not found, 501 not supported, 429 throttled, 500)."""
    extra: dict[str, Any] = {}
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        extra["retry_after"] = max(1, int(retry_after + 0.999))
    return error_response(getattr(exc, "http_status", 500), getattr(exc, "message", str(exc)), **extra)


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


class ApiError(Exception):
    """Raised by parsing and services to answer an API client with the error envelope."""

    def __init__(self, status: int, message: Any, **extra: Any):
        super().__init__(message if isinstance(message, str) else str(message))
        self.status = status
        self.message = message
        self.extra = extra

    def response(self) -> Response:
        return error_response(self.status, self.message, **self.extra)
