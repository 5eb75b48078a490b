"""Dhan's live order-update stream as the plugin's push order feed."""
from __future__ import annotations

import time
from dataclasses import replace
from typing import Callable

from broker.contract import OrderEvent, OrderRequest
from broker.dhan.order_feed import DhanOrderFeed, order_event
from broker.dhan.orders import SymbolNames
from tests.fakes.dhan.fixtures import dhan_json


def _wait(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_recorded_update_maps_to_an_event():
    event = order_event(dhan_json("order_update.json")["Data"], SymbolNames(None))
    assert (event.order_id, event.symbol, event.exchange, event.action, event.status) == (
        "112111182198", "HDFCBANK", "NSE", "BUY", "complete")
    assert (event.pricetype, event.product, event.filled_quantity, event.average_price) == ("LIMIT", "MIS", 5, 1427.9)


def test_orders_placed_reach_the_feed(plugin, session, dhan, order_updates, instruments):
    events: list[OrderEvent] = []
    feed = plugin.order_feed(session, events.append)
    assert isinstance(feed, DhanOrderFeed)
    feed.url = order_updates.url
    feed.connect()
    try:
        assert _wait(lambda: order_updates.listeners == 1)
        ack = plugin.orders.place_order(session, OrderRequest(instrument=instruments[("NSE", "TCS")], action="BUY",
                                                              quantity=2, product="MIS", pricetype="LIMIT", price=3900.0))
        plugin.orders.cancel_order(session, ack.order_id)
        assert _wait(lambda: len(events) == 2)
        assert [(e.order_id, e.status, e.price) for e in events] == [(ack.order_id, "open", 3900.0),
                                                                     (ack.order_id, "cancelled", 3900.0)]
        login = order_updates.logins[0]["LoginReq"]
        assert (login["MsgCode"], login["ClientId"], login["Token"]) == (42, dhan.client_id, dhan.access_token)

        order_updates.kill()             # a dropped link: the feed logs in again and keeps going
        order_updates.start()
        assert _wait(lambda: order_updates.listeners == 1, 15)
        plugin.orders.place_order(session, OrderRequest(instrument=instruments[("NSE", "TCS")], action="SELL",
                                                        quantity=1, product="MIS", pricetype="MARKET"))
        assert _wait(lambda: len(events) == 3) and events[-1].status == "complete"
    finally:
        feed.close()


def test_a_refused_login_stops_the_feed_instead_of_looping(session, order_updates):
    feed = DhanOrderFeed(replace(session, auth_token="expired"), lambda event: None, SymbolNames(None),
                         order_updates.url, backoff=0.05)
    feed.connect()
    try:
        assert _wait(lambda: feed.refused)
        time.sleep(0.3)
        assert feed.connections == 1 and order_updates.accepted == 1
    finally:
        feed.close()
