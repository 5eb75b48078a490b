"""Order updates from Angel's order-status WebSocket (fake) as unified OrderEvents: the connect notice is
skipped, every change the REST fake makes arrives in order, "ping" keeps the link, a drop reconnects, a
refused token stops the feed without a retry loop."""
from __future__ import annotations

import time
from typing import Any

import pytest

from broker.contract import OrderEvent, OrderRequest
from tests.brokers.angel.conftest import SBIN
from tests.fakes.angel import OrderStatusServer
from tests.fakes.angel.data import base_price, fixture


@pytest.fixture
def feed_server(angel):
    server = OrderStatusServer(angel)
    yield server
    server.close()


def _wait(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _feed(plugin, session, server, events, **options):
    from broker.angel.order_feed import AngelOrderFeed

    return AngelOrderFeed(session, events.append, plugin.orders, server.url, **options)


def test_placed_modified_and_cancelled_orders_arrive_as_events(plugin, angel, session, feed_server):
    events: list[OrderEvent] = []
    feed = _feed(plugin, session, feed_server, events)
    feed.connect()
    _wait(lambda: feed.state == "connected")
    limit = OrderRequest(instrument=SBIN, action="BUY", quantity=1, pricetype="LIMIT",
                         price=round(base_price("3045") * 0.8, 1), tag="mystrategy")
    ack = plugin.orders.place_order(session, limit)
    plugin.orders.cancel_order(session, ack.order_id)
    market = plugin.orders.place_order(session, OrderRequest(instrument=SBIN, action="SELL", quantity=2, pricetype="MARKET"))
    _wait(lambda: len(events) >= 3)
    feed.close()
    assert [(e.order_id, e.status) for e in events] == [(ack.order_id, "open"), (ack.order_id, "cancelled"),
                                                         (market.order_id, "complete")]
    first, last = events[0], events[-1]
    assert (first.symbol, first.exchange, first.pricetype, first.strategy, first.pending_quantity) == \
        ("SBIN", "NSE", "LIMIT", "mystrategy", 1)
    assert (last.action, last.filled_quantity, last.average_price) == ("SELL", 2, base_price("3045"))


def test_the_feed_sends_ping_and_survives_a_dropped_link(plugin, angel, session, feed_server):
    events: list[OrderEvent] = []
    feed = _feed(plugin, session, feed_server, events, heartbeat=0.1)
    feed.connect()
    _wait(lambda: feed.state == "connected")
    time.sleep(0.3)                                    # a few heartbeats
    feed_server.kill()
    feed_server.start()
    _wait(lambda: feed.connects == 2)
    plugin.orders.place_order(session, OrderRequest(instrument=SBIN, action="BUY", quantity=1, pricetype="MARKET"))
    _wait(lambda: events)
    feed.close()
    assert events[0].status == "complete" and feed.state == "closed"


def test_a_refused_token_ends_the_feed(plugin, angel, session, feed_server):
    angel.expire_token()
    feed = _feed(plugin, session, feed_server, [])
    feed.connect()
    _wait(lambda: feed.state == "refused")
    assert feed_server.accepted == 0


def test_the_recorded_messages_map(plugin):
    from broker.angel.order_feed import order_event

    assert order_event(fixture("order_update_connected.json"), plugin.orders) is None
    event = order_event(fixture("order_update_complete.json"), plugin.orders)
    assert (event.order_id, event.status, event.symbol, event.average_price, event.filled_quantity) == \
        ("201020000000081", "complete", "SBIN", 194.35, 1)
    assert event.exchange_timestamp == "20-Oct-2020 13:10:59"


def test_the_plugin_declares_push_and_builds_the_feed(plugin, session):
    assert plugin.capabilities.order_updates == "push"
    feed = plugin.order_feed(session, lambda event: None)
    assert feed.url == "wss://tns.angelone.in/smart-order-update" and session.auth_token not in repr(feed)
