"""Order updates pushed by the broker (capabilities.order_updates = "push", `BrokerPlugin.order_feed`).

The proxy builds one feed per user who subscribed to order updates (`order_feed(session, emit)`), calls
`connect()` once and `close()` when the last subscriber leaves. Each change the broker pushes becomes an
OrderEvent through the same mapping as the order book. Brokers without pushes declare "poll" (the kit
then diffs `orders.order_book`) and leave this module out.

The template broker pushes JSON order rows on TEMPLATE_WS_URL/orders. A blocking client on a thread of
its own keeps this simple: reconnect with back-off on network errors, stop for good when the token is
refused (HTTP 401/403 at the handshake) — reconnecting could never succeed.
"""
from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import urlencode

from broker._template import mapping
from broker.contract import BrokerSession, OrderEmit
from utils.logging import get_logger

log = get_logger("broker._template.order_updates")


class TemplateOrderFeed:
    def __init__(self, session: BrokerSession, emit: OrderEmit, names: mapping.SymbolNames, api_key: str, url: str):
        self._url = f"{url}/orders?{urlencode({'api_key': api_key, 'access_token': session.auth_token})}"
        self._emit, self._names = emit, names
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn: Any = None
        self.refused = False

    def connect(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="template-order-feed", daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._conn is not None:
            self._conn.close()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        from websockets.exceptions import InvalidStatus
        from websockets.sync.client import connect

        delay = 0.5
        while not self._stop.is_set():
            try:
                with connect(self._url, open_timeout=10, close_timeout=2) as conn:
                    self._conn, delay = conn, 0.5
                    for frame in conn:
                        self._emit(mapping.to_order_event(json.loads(frame), self._names))
            except InvalidStatus as exc:
                if exc.response.status_code in (401, 403):
                    self.refused = True
                    log.warning("template refused the order feed's token; not reconnecting")
                    return
            except Exception as exc:   # network trouble: back off and reconnect
                log.info("template order feed lost: %s", exc)
            self._stop.wait(delay)
            delay = min(delay * 2, 30)
