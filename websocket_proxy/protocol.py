"""The client side of the feed protocol (API contract §13): parsing requests and shaping replies.

Pure functions, no I/O: the server decides, this module says how each answer looks on the wire.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from broker.ticks import DEFAULT_DEPTH, MODE_LABELS, parse_mode
from utils import json_body

AUTH_TIMEOUT_CODE = 4401
SLOW_CLIENT_CODE = 4008

ACTION_ALIASES = {"auth": "authenticate"}


class ProtocolError(Exception):
    """A request the server answers with an error frame (no `type`)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Item:
    """One instrument of a subscribe/unsubscribe request, before validation against the feed."""

    symbol: str
    exchange: str
    mode: int
    depth: int


def dumps(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"), default=str)


def error(code: str, message: str) -> dict[str, Any]:
    return {"status": "error", "code": code, "message": message}


def broker_session_expired(broker: str, reason: str) -> dict[str, Any]:
    """Pushed to a user's clients when the broker refused their feed's token: nothing streams from that
    broker until the user reconnects it (the feed then resumes by itself, see `broker_feed_resumed`)."""
    return {"type": "error", "status": "error", "code": "BROKER_SESSION_EXPIRED", "broker": broker,
            "message": f"Your {broker} session has expired ({reason}). Reconnect {broker} to resume the feed."}


def broker_feed_resumed(broker: str) -> dict[str, Any]:
    return {"type": "broker_status", "status": "success", "code": "BROKER_FEED_RESUMED", "broker": broker,
            "message": f"The {broker} session is live again; subscriptions resumed."}


def parse_frame(raw: str | bytes) -> tuple[str, dict[str, Any]]:
    """(action, message); `type` is accepted in place of `action`, `auth` as `authenticate`."""
    try:
        message = json_body.loads(raw)
    except json_body.JSONBodyError as exc:
        raise ProtocolError("INVALID_JSON", f"Invalid JSON message: {exc}") from None
    except (ValueError, UnicodeDecodeError):
        raise ProtocolError("INVALID_JSON", "Invalid JSON message") from None
    if not isinstance(message, dict):
        raise ProtocolError("INVALID_JSON", "Invalid JSON message: expected a JSON object")
    action = message.get("action", message.get("type"))
    if not isinstance(action, str) or not action:
        raise ProtocolError("INVALID_ACTION", "Invalid action: the message needs an \"action\" field")
    action = action.strip().lower()
    return ACTION_ALIASES.get(action, action), message


def api_key_of(message: dict[str, Any]) -> str:
    key = message.get("api_key", message.get("apikey"))
    if not isinstance(key, str) or not key.strip():
        raise ProtocolError("AUTHENTICATION_ERROR", "API key is required")
    return key.strip()


def _mode(value: Any) -> int:
    mode = parse_mode(value)
    if mode is None:
        raise ProtocolError("INVALID_MODE", f"Invalid mode: {value!r}; use 1 (LTP), 2 (Quote) or 3 (Depth)")
    return mode


def _depth(value: Any) -> int:
    if value is None:
        return DEFAULT_DEPTH
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def parse_items(message: dict[str, Any], *, need_depth: bool) -> list[Item]:
    """The instruments of a subscribe/unsubscribe message: the `symbols` batch form wins over the
    single form; each batch item may carry its own mode/depth, defaulting to the message's."""
    mode = _mode(message.get("mode"))
    depth = _depth(message.get("depth", message.get("depth_level"))) if need_depth else DEFAULT_DEPTH
    batch = message.get("symbols")
    if batch is not None:
        if not isinstance(batch, list) or not batch:
            raise ProtocolError("INVALID_PARAMETERS", "At least one symbol must be specified")
        entries = batch
    elif message.get("symbol") or message.get("exchange"):
        entries = [message]
    else:
        raise ProtocolError("INVALID_PARAMETERS", "At least one symbol must be specified")
    items = []
    for entry in entries:
        if not isinstance(entry, dict):
            entry = {}
        item_mode = _mode(entry["mode"]) if "mode" in entry and entry is not message else mode
        item_depth = _depth(entry.get("depth", entry.get("depth_level"))) \
            if need_depth and entry is not message and ("depth" in entry or "depth_level" in entry) else depth
        items.append(Item(_text(entry.get("symbol")), _text(entry.get("exchange")), item_mode, item_depth))
    return items


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ("" if value is None else str(value))


def auth_success(broker: str, user: str, modes: frozenset[int]) -> dict[str, Any]:
    return {"type": "auth", "status": "success", "message": "Authentication successful", "broker": broker,
            "user_id": user, "supported_features": {"ltp": 1 in modes, "quote": 2 in modes, "depth": 3 in modes}}


def item_success(item: Item, broker: str, depth: int) -> dict[str, Any]:
    return {"symbol": item.symbol, "exchange": item.exchange, "status": "success",
            "mode": MODE_LABELS[item.mode], "depth": depth, "broker": broker}


def item_error(item: Item, broker: str, message: str) -> dict[str, Any]:
    return {"symbol": item.symbol, "exchange": item.exchange, "status": "error", "message": message,
            "broker": broker}


def subscribe_ack(results: list[dict[str, Any]], broker: str, request_id: Any = None) -> dict[str, Any]:
    ok = all(r["status"] == "success" for r in results)
    ack = {"type": "subscribe", "status": "success" if ok else "partial",
           "message": "Subscription processing complete", "broker": broker, "subscriptions": results}
    if request_id is not None:
        ack["request_id"] = request_id
    return ack


def unsubscribe_ack(successful: list[dict[str, Any]], failed: list[dict[str, Any]], broker: str,
                    request_id: Any = None) -> dict[str, Any]:
    status = "success" if not failed else ("partial" if successful else "error")
    ack = {"type": "unsubscribe", "status": status, "message": "Unsubscription processing complete",
           "successful": successful, "failed": failed, "broker": broker}
    if request_id is not None:
        ack["request_id"] = request_id
    return ack


def pong(message: dict[str, Any]) -> dict[str, Any]:
    reply = {"type": "pong", "status": "success", "server_timestamp": time.time_ns() // 1_000_000}
    if "timestamp" in message:
        reply["client_timestamp"] = message["timestamp"]
    return reply


def orders_ack(action: str, broker: str, message: str) -> dict[str, Any]:
    """The answer to subscribe_orders / unsubscribe_orders (the 2.x client reads `type` and `status`)."""
    return {"type": action, "status": "success", "message": message, "broker": broker}
