"""The feed protocol of API contract §13 as a raw WebSocket client sees it."""
from __future__ import annotations

import json
import time
from typing import Any, Callable

import pytest
import requests
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

pytestmark = pytest.mark.xdist_group("websocket_proxy")


class Client:
    def __init__(self, url: str):
        self.ws = connect(url, open_timeout=5, legacy=True)

    def send(self, message: dict[str, Any] | str) -> None:
        self.ws.send(message if isinstance(message, str) else json.dumps(message))

    def recv(self, timeout: float = 3) -> dict[str, Any]:
        return json.loads(self.ws.recv(timeout=timeout))

    def until(self, predicate: Callable[[dict], bool], timeout: float = 3) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            message = self.recv(max(deadline - time.monotonic(), 0.01))
            if predicate(message):
                return message

    def ask(self, message: dict[str, Any], kind: str | None = None) -> dict[str, Any]:
        self.send(message)
        return self.until(lambda m: m.get("type") == kind if kind else "type" not in m or m["type"] != "market_data")

    def quiet(self, seconds: float) -> list[dict[str, Any]]:
        got = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                got.append(self.recv(deadline - time.monotonic()))
            except TimeoutError:
                break
        return got

    def close(self) -> None:
        self.ws.close()


def authed(proxy, key: str = "key-alice-0123456789") -> Client:
    client = Client(proxy.url)
    reply = client.ask({"action": "authenticate", "api_key": key}, "auth")
    assert reply["status"] == "success"
    return client


def test_authentication_success_and_aliases(proxy):
    client = Client(proxy.url)
    started = time.monotonic()
    reply = client.ask({"action": "authenticate", "api_key": "key-alice-0123456789"}, "auth")
    assert time.monotonic() - started < 1
    assert reply == {"type": "auth", "status": "success", "message": "Authentication successful",
                     "broker": "fakebroker", "user_id": "alice",
                     "supported_features": {"ltp": True, "quote": True, "depth": True}}
    other = Client(proxy.url)
    assert other.ask({"type": "auth", "apikey": "key-bob-0123456789"}, "auth")["status"] == "success"


def test_bad_key_gets_error_frame_socket_stays_open_then_auth_timeout_closes(proxy):
    client = Client(proxy.url)
    assert client.ask({"action": "authenticate", "api_key": "wrong"}) == {
        "status": "error", "code": "AUTHENTICATION_ERROR", "message": "Invalid API key"}
    assert client.ask({"action": "authenticate"}) == {
        "status": "error", "code": "AUTHENTICATION_ERROR", "message": "API key is required"}
    assert client.ask({"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": 1}) == {
        "status": "error", "code": "NOT_AUTHENTICATED", "message": "You must authenticate first"}
    with pytest.raises(ConnectionClosed) as closed:
        client.recv(timeout=5)   # auth_timeout is 2 s in these tests
    assert closed.value.rcvd.code == 4401 and closed.value.rcvd.reason == "auth timeout"


def test_subscribe_streams_contract_fields_per_mode_and_unsubscribe_stops(proxy):
    client = authed(proxy)
    ack = client.ask({"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": 1, "depth": 5}, "subscribe")
    assert ack == {"type": "subscribe", "status": "success", "message": "Subscription processing complete",
                   "broker": "fakebroker", "subscriptions": [
                       {"symbol": "SBIN", "exchange": "NSE", "status": "success", "mode": "LTP", "depth": 5,
                        "broker": "fakebroker"}]}
    tick = client.until(lambda m: m.get("type") == "market_data")
    assert tick["symbol"] == "SBIN" and tick["exchange"] == "NSE" and tick["mode"] == 1
    assert tick["broker"] == "fakebroker" and isinstance(tick["data"]["ltp"], float)
    assert isinstance(tick["data"]["timestamp"], int) and "depth" not in tick["data"]

    client.ask({"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": "quote"}, "subscribe")
    quote = client.until(lambda m: m.get("type") == "market_data" and m["mode"] == 2)["data"]
    for key in ("ltp", "open", "high", "low", "close", "volume", "last_trade_quantity", "avg_trade_price",
                "change", "change_percent", "timestamp"):
        assert key in quote, key
    assert quote["change"] == pytest.approx(quote["ltp"] - quote["close"], abs=1e-3)

    client.ask({"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": 3, "depth": 20}, "subscribe")
    depth = client.until(lambda m: m.get("type") == "market_data" and m["mode"] == 3)["data"]
    assert len(depth["depth"]["buy"]) == 20 and depth["depth"]["buy"][0]["quantity"] == 10
    assert depth["depth"]["buy"][19] == {"price": 0, "quantity": 0, "orders": 0}

    for mode in (1, 2, 3):
        reply = client.ask({"action": "unsubscribe", "symbol": "SBIN", "exchange": "NSE", "mode": mode}, "unsubscribe")
        assert reply["status"] == "success" and reply["failed"] == []
    time.sleep(0.2)
    assert [m for m in client.quiet(0.4) if m.get("type") == "market_data"] == []
    assert proxy.snapshot()["subscriptions"] == {"client": 0, "topics": 0}


def test_unknown_symbol_is_an_error_item_and_the_rest_works(proxy):
    client = authed(proxy)
    ack = client.ask({"action": "subscribe", "mode": 1, "symbols": [
        {"symbol": "NOSUCH", "exchange": "NSE"}, {"symbol": "NIFTY", "exchange": "NSE_INDEX"}]}, "subscribe")
    assert ack["status"] == "partial"
    bad, good = ack["subscriptions"]
    assert bad == {"symbol": "NOSUCH", "exchange": "NSE", "status": "error",
                   "message": "Unknown symbol NOSUCH on exchange NSE", "broker": "fakebroker"}
    assert good["status"] == "success"
    tick = client.until(lambda m: m.get("type") == "market_data")
    assert (tick["symbol"], tick["exchange"]) == ("NIFTY", "NSE_INDEX")


def test_bad_requests_get_the_contract_error_codes(proxy):
    client = authed(proxy)
    assert client.ask({"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": 7})["code"] == "INVALID_MODE"
    assert client.ask({"action": "subscribe", "mode": 1}) == {
        "status": "error", "code": "INVALID_PARAMETERS", "message": "At least one symbol must be specified"}
    assert client.ask({"action": "dance"}) == {"status": "error", "code": "INVALID_ACTION", "message": "Invalid action: dance"}
    assert client.ask("not json") == {"status": "error", "code": "INVALID_JSON", "message": "Invalid JSON message"}
    depth = client.ask({"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": 3, "depth": 30}, "subscribe")
    assert depth["subscriptions"][0]["message"] == "Depth 30 is not supported by fakebroker; use 5, 20"
    pong = client.ask({"action": "ping", "timestamp": 5}, "pong")
    assert pong["client_timestamp"] == 5 and pong["status"] == "success"
    info = client.ask({"action": "get_broker_info"}, "broker_info")
    assert info["broker"] == "fakebroker" and info["user_id"] == "alice"
    assert client.ask({"action": "get_supported_brokers"}, "supported_brokers")["brokers"] == ["fakebroker"]
    assert client.ask({"action": "unsubscribe", "symbol": "TCS", "exchange": "NSE"}, "unsubscribe")["status"] == "success"


def test_clients_of_a_user_share_one_upstream_released_with_the_last(proxy, fake_broker):
    first, second = authed(proxy), authed(proxy, "key-alice2-0123456789")
    for client in (first, second):
        client.ask({"action": "subscribe", "symbol": "INFY", "exchange": "NSE", "mode": 1}, "subscribe")
        client.until(lambda m: m.get("type") == "market_data")
    upstreams = proxy.snapshot()["upstreams"]
    assert len(upstreams) == 1 and upstreams[0]["clients"] == 2 and upstreams[0]["topics"] == 1
    assert fake_broker.accepted == 1 and fake_broker.subscribe_log == [["NSE|INFY"]]
    first.close()
    second.until(lambda m: m.get("type") == "market_data")   # still flowing for the other client
    second.close()
    deadline = time.monotonic() + 3
    while proxy.snapshot()["upstreams"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proxy.snapshot()["upstreams"] == []   # closed after the grace period
    time.sleep(0.1)
    assert fake_broker.connections == []


def test_two_users_of_one_broker_get_each_tick_once_and_hand_over(proxy):
    alice, bob = authed(proxy), authed(proxy, "key-bob-0123456789")
    for client in (alice, bob):
        client.ask({"action": "subscribe", "symbol": "TCS", "exchange": "NSE", "mode": 1}, "subscribe")
    ticks = [m for m in bob.quiet(0.5) if m.get("type") == "market_data"]
    prices = [m["data"]["ltp"] for m in ticks]
    assert len(prices) >= 5 and len(prices) == len(set(prices))   # no duplicates from two adapters
    alice.close()
    time.sleep(0.2)
    bob.quiet(0.1)
    assert [m for m in bob.quiet(0.5) if m.get("type") == "market_data"]   # bob's own adapter took over


def test_stats_endpoint(proxy):
    client = authed(proxy)
    client.ask({"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": 1}, "subscribe")
    client.until(lambda m: m.get("type") == "market_data")
    stats = requests.get(proxy.url.replace("ws://", "http://") + "/stats", timeout=5)
    assert stats.status_code == 200 and stats.headers["Content-Type"] == "application/json"
    body = stats.json()
    assert body["clients"]["authenticated"] == 1 and body["subscriptions"] == {"client": 1, "topics": 1}
    assert body["messages"]["out"] >= 1 and body["events"]["auth_ok"] == 1
    assert body["upstreams"][0]["adapter"]["state"] == "connected"
    feed_on_stats_path = Client(proxy.url + "/stats")   # any path serves the feed
    assert feed_on_stats_path.ask({"action": "authenticate", "api_key": "key-bob-0123456789"}, "auth")["status"] == "success"


def test_auth_and_acks_do_not_wait_for_a_broker_feed_that_is_down(proxy, fake_broker):
    fake_broker.kill()
    started = time.monotonic()
    client = authed(proxy)
    ack = client.ask({"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": 1}, "subscribe")
    assert ack["status"] == "success" and time.monotonic() - started < 1
    time.sleep(0.3)
    assert client.ask({"action": "get_broker_info"}, "broker_info")["adapter_status"] == "reconnecting"
    fake_broker.start()
    assert client.until(lambda m: m.get("type") == "market_data", timeout=3)["symbol"] == "SBIN"
