"""Errors as plain text for the endpoints whose success body is not JSON (API_CONTRACT.md §7.4: with
`format=csv` the instruments dump answers its errors as plain text; the §6.6 ticker with `format=txt`).

`plain_text_errors(wants_text)` wraps a resource method: when `wants_text()` is true, every error the
method returns or raises (bad key, validation, no broker session, broker failure) keeps its status but
is sent as `text/plain`, one line with the message, instead of the JSON envelope.
"""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from flask import Response, current_app


def _message_text(message: Any) -> str:
    if isinstance(message, dict):   # a per-field validation dict: "field: reason; field: reason"
        return "; ".join(f"{name}: {' '.join(map(str, reasons)) if isinstance(reasons, list) else reasons}"
                         for name, reasons in message.items())
    return str(message)


def as_plain_text(response: Response) -> Response:
    """The JSON error envelope `response` as a text/plain response with the same status and headers."""
    body = response.get_json(silent=True)
    if isinstance(body, dict):   # per-field problems read better than the dict's repr in `message`
        text = _message_text(body["errors"] if isinstance(body.get("errors"), dict) else body.get("message", ""))
    else:
        text = response.get_data(as_text=True)
    plain = Response(f"{text}\n", status=response.status_code, mimetype="text/plain")
    for name in ("Retry-After", "Allow"):
        if name in response.headers:
            plain.headers[name] = response.headers[name]
    return plain


def plain_text_errors(wants_text: Callable[[], bool]) -> Callable[[Callable], Callable]:
    def decorate(method: Callable) -> Callable:
        @wraps(method)
        def answered(*args: Any, **kwargs: Any) -> Any:
            if not wants_text():
                return method(*args, **kwargs)
            try:
                result = method(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 — the API's own handler decides status and message
                result = current_app.extensions["openalgo.api"].handle_error(exc)
            if isinstance(result, Response) and result.status_code >= 400 and result.is_json:
                return as_plain_text(result)
            return result
        return answered
    return decorate
