"""Order updates for a broker that pushes nothing (capability `order_updates == "poll"`), end to end: the
app and the WebSocket proxy with the production wiring, Dhan's plugin declared "poll" (its push feed
taken away; tests/websocket_proxy/plugins/dhan_polled.py) against the fake Dhan server.

A `subscribe_orders` client gets the order placed through the REST API at once (the server's own
acknowledgement event), the fill the broker makes on its own through poll-and-diff of the order book,
the server's cancel and its square-off of the position; a second user connected at the same time sees none of it."""
from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any, Callable, Iterator

import pytest
from flask import Flask
from websockets.sync.client import connect

from services.brokers import order_events
from services.order_feed import POLL_INTERVAL
from tests.dashboard.conftest import FAST_HASHER, Browser, signed_in, wait_for_contract
from tests.fakes.dhan import ACCESS_TOKEN, CLIENT_ID, DhanServer
from tests.support.net import free_port
from tests.support.prices import resting_buy
from websocket_proxy.server import ProxyConfig, ProxyServer
from websocket_proxy.wiring import ProductionWiring

pytestmark = pytest.mark.xdist_group("websocket_proxy")


class Proxy:
    """The proxy as `python -m websocket_proxy` builds it (ProductionWiring over the app), on a loop thread."""

    def __init__(self, app: Flask, bus_port: int):
        self.wiring = ProductionWiring(app.extensions["openalgo.settings"], app=app)
        wiring = self.wiring
        self.server = ProxyServer(ProxyConfig(port=0, bus_port=bus_port), wiring.authenticate, wiring.adapter_factory,
                                  wiring.lookup_symbol, wiring.brokers, order_snapshot=wiring.order_snapshot,
                                  order_feed_factory=wiring.order_feed_factory)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(10)
        self.url = f"ws://127.0.0.1:{self.server.port}"

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.wiring.close()


@pytest.fixture
def dhan() -> Iterator[DhanServer]:
    with DhanServer(live_positions=True) as server:   # positions follow the fake's fills
        yield server


@pytest.fixture
def make_setup(make_app, dhan: DhanServer) -> Iterator[Callable[[str], tuple[Flask, Proxy]]]:
    """(app, proxy) with Dhan's plugin from tests/websocket_proxy/plugins/<variant>.py."""
    proxies = []

    def build(variant: str) -> tuple[Flask, Proxy]:
        bus_port = free_port()
        app = make_app(PASSWORD_HASHER=FAST_HASHER, VALID_BROKERS="dhan", DHAN_API_URL=dhan.url,
                       DHAN_AUTH_URL=dhan.root, DHAN_SCRIP_MASTER_URL=dhan.scrip_master_url, ZMQ_PORT=bus_port,
                       BROKER_PLUGIN_MODULES={"dhan": f"tests.websocket_proxy.plugins.{variant}"})
        proxies.append(Proxy(app, bus_port))
        order_events(app).connect()
        return app, proxies[-1]
    yield build
    for proxy in proxies:
        proxy.close()


def _dhan_user(app: Flask, name: str) -> Browser:
    browser = signed_in(app, name, connect=False)
    done = browser.post_form("/broker/dhan/login", client_id=CLIENT_ID, access_token=ACCESS_TOKEN)
    assert done.status_code == 302, done.get_data(as_text=True)
    assert wait_for_contract(browser)["state"] == "success"
    return browser


def _subscribe(ws: Any, key: str) -> None:
    ws.send(json.dumps({"action": "authenticate", "api_key": key}))
    answer = json.loads(ws.recv(timeout=5))
    assert answer["status"] == "success", answer
    ws.send(json.dumps({"action": "subscribe_orders"}))
    deadline = time.monotonic() + 10
    while json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic()))).get("type") != "subscribe_orders":
        pass


def _update(ws: Any, order_id: str, status: str | None, timeout: float) -> dict[str, Any]:
    """The next live (not snapshot) `order_update` of `order_id` with `status` (any: None), within
    `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if (message.get("type") == "order_update" and not message.get("snapshot")
                and message["orderid"] == order_id and status in (None, message["order_status"])):
            return message


def _nothing_for(ws: Any, seconds: float) -> list[dict[str, Any]]:
    seen, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            message = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        except TimeoutError:
            break
        if message.get("type") == "order_update" and not message.get("snapshot"):
            seen.append(message)
    return seen


def test_a_polled_broker_reports_rest_orders_broker_side_fills_and_square_off(make_setup, dhan: DhanServer):
    app, proxy = make_setup("dhan_polled")
    assert app.extensions["openalgo.brokers"].get("dhan").capabilities.order_updates == "poll"
    trader, other = _dhan_user(app, "trader"), signed_in(app, "other")     # the other user trades on paper
    with connect(proxy.url, open_timeout=5) as ws, connect(proxy.url, open_timeout=5) as stranger:
        _subscribe(ws, trader.key)
        _subscribe(stranger, other.key)
        ltp = trader.api("quotes", symbol="TCS", exchange="NSE").get_json()["data"]["ltp"]
        price = resting_buy(ltp)
        placed = trader.api("placeorder", strategy="poll-test", symbol="TCS", exchange="NSE", action="BUY",
                            quantity=2, pricetype="LIMIT", product="MIS", price=price).get_json()
        assert placed["status"] == "success", placed
        order_id = placed["orderid"]

        started = time.monotonic()
        opened = _update(ws, order_id, "open", timeout=1.0)      # the server's acknowledgement, not a poll
        assert time.monotonic() - started < 1.0
        assert (opened["symbol"], opened["exchange"], opened["action"], opened["quantity"], opened["price"],
                opened["pricetype"], opened["strategy"], opened["broker"]) == (
                    "TCS", "NSE", "BUY", 2, price, "LIMIT", "poll-test", "dhan")

        dhan.fill(order_id)                                       # the exchange fills it, no request of ours
        filled = _update(ws, order_id, "complete", timeout=3 * POLL_INTERVAL + 2)
        assert filled["filled_quantity"] == 2 and filled["pending_quantity"] == 0 and filled["average_price"] > 0

        second = trader.api("placeorder", strategy="poll-test", symbol="TCS", exchange="NSE", action="BUY",
                            quantity=1, pricetype="LIMIT", product="MIS", price=price).get_json()["orderid"]
        _update(ws, second, "open", timeout=1.0)
        assert trader.api("cancelorder", orderid=second).get_json()["status"] == "success"
        assert _update(ws, second, "cancelled", timeout=1.0)["symbol"] == "TCS"

        closed = trader.api("closeposition", strategy="poll-test").get_json()
        assert closed["status"] == "success" and closed["closed_positions"] == 1, closed
        [exit_id] = closed["orderids"]
        squared = _update(ws, exit_id, None, timeout=1.0)   # read back at once, not at the next poll
        # the fake fills a MARKET order inside market hours only: either state is the broker's answer
        assert (squared["symbol"], squared["action"], squared["quantity"]) == ("TCS", "SELL", 2)
        assert squared["order_status"] in ("open", "complete")

        assert _nothing_for(stranger, 0.5) == []                 # the other user's connection saw none of it
        polls = len(dhan.requests_to("/v2/orders", "GET"))
        time.sleep(3 * POLL_INTERVAL)
        assert 2 <= len(dhan.requests_to("/v2/orders", "GET")) - polls <= 4   # one book read per interval




def test_a_broker_that_reports_nothing_still_gets_the_servers_acknowledgements(make_setup, dhan: DhanServer):
    """`order_updates = "none"`: no feed runs and nothing polls, yet the client gets each order the server
    places or modifies as acknowledged, and a cancel as the broker then shows it."""
    app, proxy = make_setup("dhan_silent")
    trader = _dhan_user(app, "trader")
    with connect(proxy.url, open_timeout=5) as ws:
        _subscribe(ws, trader.key)
        ltp = trader.api("quotes", symbol="TCS", exchange="NSE").get_json()["data"]["ltp"]
        order = {"strategy": "none-test", "symbol": "TCS", "exchange": "NSE", "action": "SELL", "quantity": 4,
                 "pricetype": "SL", "product": "MIS"}
        placed = trader.api("placeorder", **order, price=resting_buy(ltp, below=0.9),
                            trigger_price=resting_buy(ltp, below=0.91)).get_json()
        assert placed["status"] == "success", placed
        pending = _update(ws, placed["orderid"], "trigger pending", timeout=1.0)
        assert (pending["action"], pending["quantity"], pending["pricetype"], pending["strategy"]) == \
            ("SELL", 4, "SL", "none-test")
        modified = trader.api("modifyorder", orderid=placed["orderid"], **{**order, "quantity": 5},
                              price=resting_buy(ltp, below=0.8), trigger_price=resting_buy(ltp, below=0.81)).get_json()
        assert modified["status"] == "success", modified
        assert _update(ws, placed["orderid"], "trigger pending", timeout=1.0)["quantity"] == 5
        assert trader.api("cancelorder", orderid=placed["orderid"]).get_json()["status"] == "success"
        assert _update(ws, placed["orderid"], "cancelled", timeout=1.0)["symbol"] == "TCS"
        reads = len(dhan.requests_to("/v2/orders", "GET"))
        time.sleep(2.5)
        assert len(dhan.requests_to("/v2/orders", "GET")) == reads     # nothing polls a "none" broker
