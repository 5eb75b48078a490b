"""The template's push order feed: every change the broker pushes reaches `emit` as a unified
OrderEvent; a refused token stops the feed instead of reconnecting."""
from __future__ import annotations

import time

from broker.contract import BrokerSession, Instrument, OrderEvent, OrderRequest

SBIN = Instrument(symbol="SBIN", brsymbol="SBIN-EQ", name="", exchange="NSE", brexchange="NSE", token="1001")


def _wait(predicate, timeout: float = 5) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.02)
    return predicate()


def test_order_changes_are_pushed_as_order_events(plugin, fake, session):
    events: list[OrderEvent] = []
    feed = plugin.order_feed(session, events.append)
    feed.connect()
    try:
        assert _wait(lambda: fake.sockets.order_listeners)
        ack = plugin.orders.place_order(session, OrderRequest(instrument=SBIN, action="BUY", quantity=1,
                                                              product="MIS", pricetype="LIMIT", price=1.0))
        plugin.orders.cancel_order(session, ack.order_id)
        assert _wait(lambda: len(events) >= 2)
    finally:
        feed.close()
    assert [(e.order_id, e.status) for e in events] == [(ack.order_id, "open"), (ack.order_id, "cancelled")]
    assert events[0].symbol == "SBIN" and events[0].pricetype == "LIMIT" and events[0].price == 1.0


def test_a_refused_token_stops_the_order_feed(plugin, fake):
    feed = plugin.order_feed(BrokerSession(user_id=1, broker="template", auth_token="stale"), lambda event: None)
    feed.connect()
    assert _wait(lambda: feed.refused)
    time.sleep(0.8)   # its back-off would have retried by now
    feed.close()
    assert fake.sockets.refused == 1
