"""Strict JSON for request bodies and WebSocket frames: what the standard parser lets through but nothing
downstream can store or answer becomes a ValueError naming the problem (a 400 on the REST API,
INVALID_JSON on the WebSocket):

  * nesting deeper than MAX_JSON_DEPTH levels (a body nested 50,000 deep exhausted the recursion limit);
  * a number with more digits than Python converts (reported as the number it is, not a missing key:
    it is parsed as a float, infinite, which the field's range check then refuses by name);
  * a lone UTF-16 surrogate (`"\\ud800"`) in any string: not Unicode, no database driver encodes it.

`install(app)` makes it the app's JSON parser (`request.get_json`) and answers a body that fails it with
a 400 carrying the reason before any endpoint (or the API-key check) reads the body.
"""
from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, Request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest

MAX_JSON_DEPTH = 32
_MAX_INT_DIGITS = 4000          # below Python's 4300-digit int conversion limit
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class JSONBodyError(ValueError):
    """The JSON text is well-formed but beyond what the server accepts; the message says why."""


def _int(digits: str) -> int | float:
    return int(digits) if len(digits) <= _MAX_INT_DIGITS else float(digits)


_DECODER = json.JSONDecoder(parse_int=_int)   # built once: json.loads(..., parse_int=) builds one per call


def loads(text: str | bytes) -> Any:
    """json.loads with the limits above (raises ValueError: JSONDecodeError, UnicodeDecodeError for a body
    that is not UTF-8, or JSONBodyError)."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if not isinstance(text, str):
        text = text.decode("utf-8-sig" if text.startswith(b"\xef\xbb\xbf") else "utf-8")
    try:
        value = _DECODER.decode(text)
    except RecursionError:
        raise JSONBodyError(f"JSON nested too deeply: at most {MAX_JSON_DEPTH} levels are accepted") from None
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH and _depth(value) > MAX_JSON_DEPTH:
        raise JSONBodyError(f"JSON nested too deeply: at most {MAX_JSON_DEPTH} levels are accepted")
    if _SURROGATE_ESCAPE.search(raw) or (isinstance(text, str) and _SURROGATE.search(text)):
        where = _lone_surrogate(value, "")
        if where is not None:
            raise JSONBodyError(f"{where or 'body'}: contains a lone UTF-16 surrogate (\\ud800-\\udfff); "
                                "strings must be valid Unicode")
    return value


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, level)
            if deepest > MAX_JSON_DEPTH:
                return deepest
            stack.extend((child, level + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def _lone_surrogate(value: Any, path: str) -> str | None:
    """The path (`orders[2].symbol`) of the first string, key or value, holding a lone surrogate."""
    if isinstance(value, str):
        return path if _is_broken(value) else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        child_path = f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}" if path else str(key)
        if isinstance(key, str) and _is_broken(key):
            return path or "body"
        found = _lone_surrogate(child, child_path)
        if found is not None:
            return found
    return None


def _is_broken(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class StrictJSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s)


class StrictJSONRequest(Request):
    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        """The parser's reason in the 400 (Flask hides it outside debug mode)."""
        if e is None:
            return super().on_json_loading_failed(e)
        reason = str(e) if isinstance(e, JSONBodyError) else f"Invalid JSON body: {e}"
        raise BadRequest(reason) from e


def install(app: Flask) -> None:
    app.json = StrictJSONProvider(app)
    app.request_class = StrictJSONRequest


def check_request_json(request: Request) -> None:
    """Parse a JSON request body once, up front (later `get_json` calls reuse it); a body that is not
    acceptable JSON raises BadRequest with the reason."""
    if request.is_json and request.content_length != 0:
        request.get_json()
