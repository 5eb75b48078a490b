"""Order updates a broker POSTs to the app (`/postback/<broker>`, e.g. Kite's postback URL).

The plugin's `postback` checks the payload's signature and translates it; the event goes to every user
connected to that broker account, through the same sink as every other order event (WebSocket
subscribers and the dashboard).
"""
from __future__ import annotations

from typing import Any

from broker.errors import AuthError
from broker.registry import UnknownBroker
from database import broker_sessions
from services.brokers import order_events, registry
from utils.errors import InvalidInput, NotFound
from utils.logging import get_logger

log = get_logger(__name__)


def receive(broker: str, payload: Any) -> dict[str, Any]:
    try:
        plugin = registry().get(broker)
    except UnknownBroker:
        raise NotFound(f"Unknown broker {broker!r}", field="broker") from None
    if plugin.postback is None:
        raise NotFound(f"{plugin.manifest.display_name} does not send order postbacks", field="broker")
    if not isinstance(payload, dict):
        raise InvalidInput("The postback body must be a JSON object", field="body")
    try:
        account, event = plugin.postback(payload)
    except AuthError as exc:
        log.warning("Refused a %s postback: %s", broker, exc.message)
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(f"The postback is missing or has a malformed field: {exc}", field="body") from None
    users = broker_sessions.users_of_account(broker, account)
    sink = order_events()
    for user_id in users:
        sink.publish(broker, user_id, event)
    return {"status": "success", "delivered": len(users)}
