"""Zerodha order updates: the ticker's order messages become events (the plugin's push order feed), and
postbacks are verified by their checksum — against the fake Kite server and ticker, which announce every
order change the way Kite does."""
from __future__ import annotations

from typing import Iterator

import pytest

from broker.contract import BrokerPlugin, BrokerSession, OrderEvent, OrderRequest
from broker.errors import AuthError
from tests.brokers.zerodha.conftest import SBIN
from tests.fakes.fixtures import kite_json
from tests.fakes.kite_server import KiteServer
from tests.fakes.kite_ticker import KiteTickerServer
from tests.websocket_proxy.conftest import wait_until


@pytest.fixture
def ticker(kite: KiteServer) -> Iterator[KiteTickerServer]:
    server = KiteTickerServer(access_token=kite.access_token, interval=0.05)
    kite.order_listeners.append(server.push_order)
    yield server
    server.close()


def test_a_recorded_postback_is_the_orders_event():
    from broker.zerodha.order_updates import order_event
    from broker.zerodha.orders import SymbolNames, ZerodhaOrders

    event = order_event(ZerodhaOrders(None, SymbolNames(None)), kite_json("postback.json"))
    assert (event.order_id, event.symbol, event.exchange, event.action, event.status) == \
        ("220303000308932", "SBIN", "NSE", "BUY", "complete")
    assert (event.quantity, event.filled_quantity, event.pending_quantity, event.average_price) == (1, 1, 0, 470.0)
    assert (event.pricetype, event.product, event.exchange_timestamp) == ("MARKET", "CNC", "2022-03-03 09:24:25")


def test_postbacks_are_accepted_only_with_the_right_checksum(plugin: BrokerPlugin, kite: KiteServer):
    order = dict(kite_json("postback.json"))
    account, event = plugin.postback(kite.postback_payload(order))
    assert account == kite.kite_user_id and event.order_id == order["order_id"]
    with pytest.raises(AuthError, match="checksum"):
        plugin.postback({**kite.postback_payload(order), "status": "CANCELLED", "checksum": "0" * 64})
    with pytest.raises(AuthError):
        plugin.postback(order)   # the recorded one is signed with another app's secret


def test_the_order_feed_emits_each_change_the_ticker_sends(plugin: BrokerPlugin, session: BrokerSession,
                                                          kite: KiteServer, ticker: KiteTickerServer):
    from broker.zerodha.order_updates import KiteOrderFeed
    from broker.zerodha.streaming import TickerCredentials

    events: list[OrderEvent] = []
    feed = KiteOrderFeed(TickerCredentials(kite.api_key, kite.access_token, ticker.url), plugin.orders, events.append)
    feed.connect()
    try:
        assert wait_until(lambda: feed.state == "connected", timeout=5)
        ack = plugin.orders.place_order(session, OrderRequest(instrument=SBIN, action="BUY", quantity=2,
                                                              pricetype="LIMIT", price=100.0, product="CNC"))
        plugin.orders.cancel_order(session, ack.order_id)
        assert wait_until(lambda: len(events) >= 2, timeout=5)
        assert [(e.order_id, e.status, e.quantity, e.symbol) for e in events] == \
            [(ack.order_id, "open", 2, "SBIN"), (ack.order_id, "cancelled", 2, "SBIN")]
    finally:
        feed.close()


def test_the_order_feed_stops_when_kite_refuses_the_token(plugin: BrokerPlugin, kite: KiteServer,
                                                         ticker: KiteTickerServer):
    from broker.zerodha.order_updates import KiteOrderFeed
    from broker.zerodha.streaming import TickerCredentials

    feed = KiteOrderFeed(TickerCredentials(kite.api_key, "expired-token", ticker.url), plugin.orders, lambda e: None)
    feed.connect()
    assert wait_until(lambda: feed.state == "rejected", timeout=5) and ticker.refused == 1
