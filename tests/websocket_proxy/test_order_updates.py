"""subscribe_orders on the proxy: a user's order events from the bus reach only that user's subscribed
connections, all of them and in order, even when ticks flood the bus; a client that stops reading is
closed (4008) without holding the others back."""
from __future__ import annotations

import json
import threading
import time

import pytest
import zmq
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from bench.ws_bench import _frame, stalled_client
from broker.order_updates import topic_for_user

pytestmark = pytest.mark.xdist_group("websocket_proxy")


def _orders_client(url: str, key: str):
    ws = connect(url, open_timeout=5, max_size=None, legacy=True)
    ws.send(json.dumps({"action": "authenticate", "api_key": key}))
    assert json.loads(ws.recv(timeout=5))["status"] == "success"
    ws.send(json.dumps({"action": "subscribe_orders"}))
    assert json.loads(ws.recv(timeout=5))["type"] == "subscribe_orders"
    return ws


def _publisher(proxy):
    socket = zmq.Context.instance().socket(zmq.PUB)
    socket.setsockopt(zmq.SNDHWM, 100_000)   # as services/order_events.py: the test's burst is never dropped
    socket.connect(f"tcp://127.0.0.1:{proxy.server.config.bus_port}")
    time.sleep(0.3)
    return socket


def _event(user_id: int, seq: int, pad: str = "") -> list[bytes]:
    body = {"type": "order_update", "orderid": str(seq), "order_status": "open", "pad": pad}
    return [topic_for_user(user_id).encode(), json.dumps(body).encode()]


def _read_orders(ws, until: int, timeout: float = 5) -> list[int]:
    got = []
    try:
        while len(got) < until:
            message = json.loads(ws.recv(timeout=timeout))
            if message.get("type") == "order_update":
                got.append(int(message["orderid"]))
    except TimeoutError:
        pass
    return got


def test_each_user_gets_all_of_their_own_events_in_order(proxy):
    alice, alice_tab, bob = (_orders_client(proxy.url, key) for key in
                             ("key-alice-0123456789", "key-alice2-0123456789", "key-bob-0123456789"))
    publisher = _publisher(proxy)
    try:
        for seq in range(3000):
            publisher.send_multipart(_event(1 if seq % 3 else 2, seq))
        alice_expected = [seq for seq in range(3000) if seq % 3]
        bob_expected = [seq for seq in range(3000) if not seq % 3]
        assert _read_orders(alice, len(alice_expected)) == alice_expected
        assert _read_orders(alice_tab, len(alice_expected)) == alice_expected
        assert _read_orders(bob, len(bob_expected)) == bob_expected
        bob.send(json.dumps({"action": "unsubscribe_orders"}))
        assert json.loads(bob.recv(timeout=5))["type"] == "unsubscribe_orders"
        publisher.send_multipart(_event(2, 99999))
        assert _read_orders(bob, 1, timeout=0.5) == []
    finally:
        publisher.close(0)
        for ws in (alice, alice_tab, bob):
            ws.close()


def test_a_stalled_order_subscriber_is_closed_and_a_reading_one_loses_nothing(make_proxy):
    proxy = make_proxy(send_buffer=16 * 1024, slow_timeout=1.0)
    reader = _orders_client(proxy.url, "key-alice-0123456789")
    stalled = stalled_client(proxy.server.port, "key-alice2-0123456789", [])
    stalled.sendall(_frame(json.dumps({"action": "subscribe_orders"})))
    time.sleep(0.3)
    received: list[int] = []

    def read() -> None:
        try:
            while True:
                message = json.loads(reader.recv(timeout=3))
                if message.get("type") == "order_update":
                    received.append(int(message["orderid"]))
        except (TimeoutError, ConnectionClosed):
            pass

    thread = threading.Thread(target=read)
    thread.start()
    publisher = _publisher(proxy)
    pad, seq, deadline = "x" * 2000, 0, time.monotonic() + 15
    try:
        while time.monotonic() < deadline:
            publisher.send_multipart(_event(1, seq, pad))
            seq += 1
            if seq % 20 == 0:
                time.sleep(0.01)
                if proxy.snapshot()["events"].get("slow_disconnects"):
                    break
        thread.join(10)
        assert proxy.snapshot()["events"].get("slow_disconnects") == 1
        assert received == list(range(seq))
    finally:
        publisher.close(0)
        stalled.close()
        reader.close()
