"""App-wide error handlers: JSON envelopes for `/api/*`, HTML pages for the browser, never a traceback."""
from __future__ import annotations

import functools
from typing import Any, Callable

from flask import Flask, make_response, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge
from werkzeug.http import HTTP_STATUS_CODES

from utils.logging import get_logger
from utils.errors import DomainError
from utils.responses import domain_error_response, error_response, error_envelope, http_error_response, wants_json

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


def handle_domain_error(exc: DomainError):
    """A domain error no route handled itself: the API envelope for `/api/*`, else the error page with the
    status from the one mapping and the error's message (written for the user)."""
    if wants_json():
        return domain_error_response(exc)
    _, status = error_envelope(exc)
    return make_response(render_template("errors/error.html", code=status, title=HTTP_STATUS_CODES.get(status, "Error"),
                                         description=exc.message), status)


def json_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """For a page's JSON feed or action outside `/api/`: a domain error answers with the API's envelope
    (the same mapping) instead of the error page."""
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except DomainError as exc:
            return domain_error_response(exc)
    return wrapped


def register(app: Flask) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected_error)
    app.before_request(refuse_large_bodies)
