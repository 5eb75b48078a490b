"""Order-update building blocks: the `order_update` wire message, and poll-and-diff for brokers that push
nothing (capability order_updates == "poll")."""
from __future__ import annotations

import json
import time
from dataclasses import replace

from broker.contract import BrokerSession, Order, OrderAdapter, OrderEvent
from broker.order_updates import PollingOrderFeed, encode, topic_for_user
from tests.websocket_proxy.conftest import wait_until

OPEN = Order(order_id="1", symbol="SBIN", exchange="NSE", action="BUY", quantity=10, product="MIS",
             pricetype="LIMIT", status="open", price=100.0)


class _Book(OrderAdapter):
    def __init__(self) -> None:
        self.rows: list[Order] = [OPEN]
        self.fail = False
        self.reads = 0

    def order_book(self, session):  # noqa: ANN001, ANN201
        self.reads += 1
        if self.fail:
            raise ConnectionError("broker down")
        return list(self.rows)


def test_the_wire_message_has_the_2x_clients_fields():
    message = json.loads(encode(OrderEvent.from_order(replace(OPEN, filled_quantity=4, average_price=99.5),
                                                      strategy="s1"), "paper"))
    assert {k: message[k] for k in ("type", "orderid", "symbol", "exchange", "action", "quantity", "pricetype",
                                    "product", "order_status", "filled_quantity", "pending_quantity",
                                    "average_price", "rejection_reason", "broker", "strategy")} == {
        "type": "order_update", "orderid": "1", "symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": 10,
        "pricetype": "LIMIT", "product": "MIS", "order_status": "open", "filled_quantity": 4, "pending_quantity": 6,
        "average_price": 99.5, "rejection_reason": "", "broker": "paper", "strategy": "s1"}
    assert isinstance(message["timestamp"], int) and "snapshot" not in message
    assert json.loads(encode(OrderEvent.from_order(OPEN), "paper", snapshot=True))["snapshot"] is True
    assert topic_for_user(42) == "orders.42"


def test_poll_and_diff_emits_new_and_changed_orders_once():
    book, events = _Book(), []
    feed = PollingOrderFeed(book, BrokerSession(user_id=1, broker="demo"), events.append, interval=0.05)
    assert feed.poll_once() == 0          # the baseline: subscribers got it as the snapshot
    book.rows = [replace(OPEN, filled_quantity=4, status="open"),
                 Order(order_id="2", symbol="INFY", exchange="NSE", action="SELL", quantity=1, product="MIS",
                       pricetype="MARKET", status="complete", filled_quantity=1, average_price=1500.0)]
    assert feed.poll_once() == 2 and [(e.order_id, e.filled_quantity) for e in events] == [("1", 4), ("2", 1)]
    assert feed.poll_once() == 0          # nothing changed
    book.fail = True
    feed.connect()                        # a failing read is logged and retried, never raised
    book.rows = [replace(OPEN, status="cancelled")]
    book.fail = False
    assert wait_until(lambda: any(e.status == "cancelled" for e in events), timeout=3)
    feed.close()


def test_a_refused_claim_skips_the_read_and_a_granted_one_reads():
    """Several proxies may run a poller for one user: only the one whose claim is granted reads the book."""
    book = _Book()
    grants = iter([False, False, True])
    feed = PollingOrderFeed(book, BrokerSession(user_id=1, broker="demo"), lambda event: None, interval=0.01,
                            claim=lambda: next(grants, False))
    assert feed.shared
    feed.connect()
    try:
        deadline = time.monotonic() + 5
        while book.reads < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)
    finally:
        feed.close()
    assert book.reads == 1
