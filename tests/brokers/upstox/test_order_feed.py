"""Order updates from the fake portfolio stream: events for the user's orders, reconnect after a drop,
and an expired token ends the feed instead of retrying."""
from __future__ import annotations

import time

from broker.contract import OrderRequest
from tests.brokers.upstox.conftest import SBIN


def wait_until(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_placed_filled_and_cancelled_orders_arrive_as_events(upstox, plugin, session):
    events = []
    feed = plugin.order_feed(session, events.append)
    feed.connect()
    try:
        assert wait_until(lambda: feed.connections == 1)
        limit = plugin.orders.place_order(session, OrderRequest(instrument=SBIN, action="BUY", quantity=2,
                                                                product="CNC", pricetype="LIMIT", price=500,
                                                                tag="my-strategy"))
        plugin.orders.cancel_order(session, limit.order_id)
        market = plugin.orders.place_order(session, OrderRequest(instrument=SBIN, action="SELL", quantity=1))
        assert wait_until(lambda: len(events) == 3)
    finally:
        feed.close()
    first, cancelled, filled = events
    assert (first.order_id, first.status, first.symbol, first.exchange, first.product) == (
        limit.order_id, "open", "SBIN", "NSE", "CNC")
    assert (first.pending_quantity, first.price, first.strategy) == (2, 500.0, "my-strategy")
    assert (cancelled.order_id, cancelled.status) == (limit.order_id, "cancelled")
    assert (filled.order_id, filled.status, filled.filled_quantity, filled.action) == (market.order_id, "complete",
                                                                                        1, "SELL")
    assert upstox.portfolio.update_types == [["order"]]


def test_the_feed_reconnects_after_a_drop(upstox, plugin, session):
    events = []
    feed = plugin.order_feed(session, events.append)
    feed.backoff_initial = 0.05
    feed.connect()
    try:
        assert wait_until(lambda: feed.connections == 1)
        upstox.portfolio.kill()
        upstox.portfolio.start()
        assert wait_until(lambda: feed.connections == 2)
        plugin.orders.place_order(session, OrderRequest(instrument=SBIN, action="BUY", quantity=1))
        assert wait_until(lambda: len(events) == 1)
    finally:
        feed.close()
    assert len(upstox.requests_to("/v2/feed/portfolio-stream-feed/authorize")) == 2


def test_an_expired_token_stops_the_feed(upstox, plugin, session):
    upstox.expire_token()
    feed = plugin.order_feed(session, lambda event: None)
    feed.connect()
    try:
        assert wait_until(lambda: bool(feed.stopped_reason))
    finally:
        feed.close()
    assert len(upstox.requests_to("/v2/feed/portfolio-stream-feed/authorize")) == 1
    assert upstox.portfolio.accepted == 0
