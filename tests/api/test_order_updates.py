"""Pushed order updates against `python app.py` on paper: subscribe_orders on the WebSocket proxy gets
each order's changes in order, only for its own user, with the current state on (re)subscribe."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import requests
import websocket

from tests.api.server import Server, prepared_server
from tests.support.net import free_port

pytestmark = pytest.mark.xdist_group("servers")


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Server:
    srv = prepared_server(tmp_path_factory.mktemp("orders"), WEBSOCKET_PROXY_ENABLED="true",
                          WEBSOCKET_PORT=str(free_port()), ZMQ_PORT=str(free_port()))
    srv.start()
    yield srv
    srv.stop()


class Feed:
    """A raw WebSocket client of the proxy, subscribed to order updates."""

    def __init__(self, server: Server, key: str):
        self.ws = websocket.create_connection(server.ws_url, timeout=5)
        self.ws.send(json.dumps({"action": "authenticate", "api_key": key}))
        assert json.loads(self.ws.recv())["status"] == "success"
        self.ws.send(json.dumps({"action": "subscribe_orders"}))
        ack = json.loads(self.ws.recv())
        assert (ack["type"], ack["status"]) == ("subscribe_orders", "success"), ack
        self.seen: list[dict[str, Any]] = []   # every order update received, snapshot ones too

    def next_update(self, timeout: float = 1.0, *, snapshots: bool = False) -> dict[str, Any]:
        """The next order update within `timeout` seconds. Other messages are skipped, and so are the
        subscribe snapshot's (`"snapshot": true`) unless `snapshots`: the snapshot follows the ack after
        a database read, so on a loaded machine it can arrive after a test has started placing orders."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise websocket.WebSocketTimeoutException(f"no order update within {timeout} s")
            self.ws.settimeout(left)
            message = json.loads(self.ws.recv())
            if message.get("type") != "order_update":
                continue
            self.seen.append(message)
            if snapshots or not message.get("snapshot"):
                return message

    def updates_until_quiet(self, quiet: float = 0.5, *, snapshots: bool = False) -> list[dict[str, Any]]:
        found = []
        try:
            while True:
                found.append(self.next_update(quiet, snapshots=snapshots))
        except websocket.WebSocketTimeoutException:
            return found

    def live_updates(self, count: int, timeout: float = 10.0, quiet: float = 0.5) -> list[dict[str, Any]]:
        """`count` updates of new events (waiting up to `timeout` for them), then any more until quiet."""
        found = [self.next_update(timeout) for _ in range(count)]
        return found + self.updates_until_quiet(quiet)

    def snapshot_of(self, orderids: set[str], timeout: float = 10.0) -> dict[str, dict[str, Any]]:
        """The subscribe snapshot's updates, read until it has named each of `orderids`."""
        found: dict[str, dict[str, Any]] = {}
        deadline = time.monotonic() + timeout
        while not orderids <= found.keys():
            update = self.next_update(max(deadline - time.monotonic(), 0.001), snapshots=True)
            assert update.get("snapshot") is True, update
            found[update["orderid"]] = update
        return found

    def close(self) -> None:
        self.ws.close()


def post(server: Server, key: str, endpoint: str, **body: Any) -> dict[str, Any]:
    answer = requests.post(f"{server.host}/api/v1/{endpoint}", json={"apikey": key, **body}, timeout=10).json()
    assert answer["status"] == "success", answer
    return answer


def market(server: Server, key: str, symbol: str = "SBIN", **extra: Any) -> str:
    return post(server, key, "placeorder", strategy="events", symbol=symbol, exchange="NSE", action="BUY",
                quantity=1, pricetype="MARKET", product="MIS", **extra)["orderid"]


def far_limit(server: Server, key: str) -> tuple[str, str]:
    ltp = post(server, key, "quotes", symbol="INFY", exchange="NSE")["data"]["ltp"]
    price = f"{round(ltp * 0.9 / 0.05) * 0.05:.2f}"
    orderid = post(server, key, "placeorder", strategy="events", symbol="INFY", exchange="NSE", action="BUY",
                   quantity=2, pricetype="LIMIT", price=price, product="MIS")["orderid"]
    return orderid, price


def test_market_and_limit_orders_push_their_changes_in_order_within_a_second(server: Server):
    feed = Feed(server, server.key)   # the snapshot of earlier tests' orders is skipped
    try:
        started = time.monotonic()
        orderid = market(server, server.key)
        update = feed.next_update()
        assert time.monotonic() - started < 1.0
        assert (update["orderid"], update["order_status"], update["filled_quantity"], update["pending_quantity"]) == \
            (orderid, "complete", 1, 0)
        assert update["average_price"] > 0 and update["strategy"] == "events" and update["broker"] == "paper"

        limit_id, price = far_limit(server, server.key)
        opened = feed.next_update()
        assert (opened["orderid"], opened["order_status"], opened["pricetype"], opened["quantity"]) == \
            (limit_id, "open", "LIMIT", 2)
        post(server, server.key, "modifyorder", orderid=limit_id, strategy="events", symbol="INFY", exchange="NSE",
             action="BUY", quantity=3, pricetype="LIMIT", price=price, product="MIS")
        modified = feed.next_update()
        assert (modified["orderid"], modified["order_status"], modified["quantity"]) == (limit_id, "open", 3)
        post(server, server.key, "cancelorder", orderid=limit_id, strategy="events")
        cancelled = feed.next_update()
        assert (cancelled["orderid"], cancelled["order_status"]) == (limit_id, "cancelled")
    finally:
        feed.close()


def test_two_users_never_see_each_others_orders(server: Server):
    other_key = server.add_user("otheruser")
    mine, theirs = Feed(server, server.key), Feed(server, other_key)
    try:
        my_orders = {market(server, server.key) for _ in range(3)}
        their_orders = {market(server, other_key, symbol="TCS") for _ in range(2)}
        got_mine = {u["orderid"] for u in mine.live_updates(3)}
        got_theirs = {u["orderid"] for u in theirs.live_updates(2)}
        assert got_mine == my_orders and got_theirs == their_orders
        # nor in a snapshot
        assert not {u["orderid"] for u in mine.seen} & their_orders
        assert not {u["orderid"] for u in theirs.seen} & my_orders
    finally:
        mine.close()
        theirs.close()


def test_resubscribing_gives_the_current_state_of_the_days_orders(server: Server):
    orderid = market(server, server.key, symbol="RELIANCE")
    limit_id, _ = far_limit(server, server.key)
    feed = Feed(server, server.key)
    try:
        snapshot = feed.snapshot_of({orderid, limit_id})
        assert snapshot[orderid]["order_status"] == "complete"
        assert snapshot[limit_id]["order_status"] == "open"
        post(server, server.key, "cancelorder", orderid=limit_id, strategy="events")
        update = feed.next_update()
        assert (update["orderid"], update["order_status"]) == (limit_id, "cancelled") and "snapshot" not in update
        feed.ws.send(json.dumps({"action": "unsubscribe_orders"}))
        assert json.loads(feed.ws.recv())["type"] == "unsubscribe_orders"
        market(server, server.key)
        assert feed.updates_until_quiet(0.5, snapshots=True) == []
    finally:
        feed.close()


def test_order_updates_need_authentication(server: Server):
    ws = websocket.create_connection(server.ws_url, timeout=5)
    try:
        ws.send(json.dumps({"action": "subscribe_orders"}))
        answer = json.loads(ws.recv())
        assert answer["status"] == "error" and answer["code"] == "NOT_AUTHENTICATED"
    finally:
        ws.close()
