"""App-wide error handlers: JSON envelopes for `/api/*`, HTML pages for the browser, never a traceback."""
from __future__ import annotations

from flask import Flask, make_response, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from utils.logging import get_logger
from utils.responses import ApiError, error_response, http_error_response, wants_json

log = get_logger(__name__)


def _page(exc: HTTPException):
    description = exc.description
    retry_after = getattr(exc, "retry_after", None)
    if retry_after and "Try again" not in description:
        description = f"Too many requests. Try again in {retry_after} seconds."
    response = make_response(render_template("errors/error.html", code=exc.code, title=exc.name,
                                             description=description), exc.code)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def handle_http_error(exc: HTTPException):
    return http_error_response(exc) if wants_json() else _page(exc)


def handle_unexpected_error(exc: Exception):
    log.exception("Unhandled error on %s %s", request.method, request.path)
    if wants_json():
        return error_response(500, "Internal server error")
    return _page(InternalServerError())


def refuse_large_bodies():
    """Refuse an oversized body up front, whether or not the route would read it."""
    limit = request.max_content_length
    if limit is not None and request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge()


def handle_api_error(exc: ApiError):
    return exc.response()


def register(app: Flask) -> None:
    app.register_error_handler(ApiError, handle_api_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected_error)
    app.before_request(refuse_large_bodies)
