"""The public `openalgo` client's feed methods against the proxy, unchanged."""
from __future__ import annotations

import threading
import time

import pytest
import zmq
from openalgo import api

from broker.ticks import LTP, FeedTick, encode, market_data, topic_for
from tests.websocket_proxy.conftest import wait_until

pytestmark = pytest.mark.xdist_group("websocket_proxy")


def sdk(proxy, key: str = "key-alice-0123456789") -> api:
    return api(api_key=key, host="http://127.0.0.1:5000", ws_url=proxy.url)


INSTRUMENTS = [{"exchange": "NSE", "symbol": "SBIN"}, {"exchange": "NSE_INDEX", "symbol": "NIFTY"}]


def test_sdk_ltp_quote_depth_and_unsubscribe(proxy):
    client = sdk(proxy)
    assert client.connect() is True
    try:
        ltp_calls: list[dict] = []
        lock = threading.Lock()

        def on_ltp(message):
            with lock:
                ltp_calls.append(message)

        assert client.subscribe_ltp(INSTRUMENTS, on_data_received=on_ltp)
        assert wait_until(lambda: len(client.get_ltp().get("ltp", {})) == 2)
        ltp = client.get_ltp()["ltp"]
        assert ltp["NSE"]["SBIN"]["ltp"] > 0 and ltp["NSE_INDEX"]["NIFTY"]["ltp"] > 0

        assert client.subscribe_quote(INSTRUMENTS)
        assert wait_until(lambda: len(client.get_quotes().get("quote", {})) == 2)
        quote = client.get_quotes()["quote"]["NSE"]["SBIN"]
        assert quote["open"] == 99.0 and quote["close"] == 99.5 and quote["volume"] == 1200
        assert quote["last_trade_quantity"] == 5 and quote["avg_trade_price"] == 99.9 and quote["change"] != 0

        assert client.subscribe_depth(INSTRUMENTS)
        assert wait_until(lambda: "NSE" in client.get_depth().get("depth", {}))
        book = client.get_depth()["depth"]["NSE"]["SBIN"]
        assert book["buyBook"]["1"]["qty"] == 10 and book["sellBook"]["5"]["orders"] == 5

        assert client.unsubscribe_ltp(INSTRUMENTS)
        time.sleep(0.3)
        with lock:
            count = len(ltp_calls)
        time.sleep(0.4)
        with lock:
            assert len(ltp_calls) == count   # the LTP flow stopped
        assert client.get_quotes()["quote"]["NSE"]["SBIN"]["ltp"] > 0   # quotes still come
        client.unsubscribe_quote(INSTRUMENTS)
        client.unsubscribe_depth(INSTRUMENTS)
        assert wait_until(lambda: proxy.snapshot()["subscriptions"]["client"] == 0)
    finally:
        client.disconnect()


def test_sdk_receives_ticks_published_on_the_bus_by_another_adapter(proxy):
    client = sdk(proxy)
    assert client.connect()
    publisher = zmq.Context.instance().socket(zmq.PUB)
    publisher.connect(f"tcp://127.0.0.1:{proxy.server.config.bus_port}")
    try:
        prices: list[float] = []
        client.subscribe_ltp([{"exchange": "NSE", "symbol": "RELIANCE"}],
                             on_data_received=lambda m: prices.append(m["data"]["ltp"]))
        tick = FeedTick("NSE", "RELIANCE", 2890.5, timestamp=1767069312482, ltt=1767069312000)
        payload = encode(market_data(tick, LTP, "fakebroker"))

        def published() -> bool:
            publisher.send_multipart([topic_for("fakebroker", "NSE", "RELIANCE", LTP).encode(), payload])
            return 2890.5 in prices   # beside the fake broker's own ticks for the same topic
        assert wait_until(published)
    finally:
        publisher.close(0)
        client.disconnect()


def test_sdk_with_a_bad_key_is_not_connected(proxy):
    client = sdk(proxy, "not-a-key")
    started = time.monotonic()
    assert client.connect() is False
    assert time.monotonic() - started < 6.5
    client.disconnect()
