"""Acceptance of what only the 2.x client can call, with openalgo 2.0.5 (in its own interpreter) against
`python app.py` on paper: pushed order updates, GTT orders triggered by the simulated market, GTTs that
survive a killed server, and the notify endpoints. (1.0.47 has none of these calls; the scenarios both
versions share are in test_openalgo_client.py.)"""
from __future__ import annotations

import os
import signal
import time
from typing import Any, Callable

import pytest

from tests.api.server import Server, prepared_server
from tests.support.net import free_port
from tests.support.openalgo_clients import CALLBACK, V2, ClientVersion, RemoteApi

pytestmark = pytest.mark.xdist_group("servers")
TICK = 0.05


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Server:
    srv = prepared_server(tmp_path_factory.mktemp("v2"), WEBSOCKET_PROXY_ENABLED="true",
                          WEBSOCKET_PORT=str(free_port()), ZMQ_PORT=str(free_port()))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def openalgo2() -> ClientVersion:
    version = ClientVersion(V2)
    yield version
    version.close()


def ok(answer: dict) -> dict:
    assert answer.get("status") == "success", answer
    return answer


def client_for(openalgo2: ClientVersion, server: Server, key: str, *, feed: bool = False) -> RemoteApi:
    client = openalgo2.api(api_key=key, host=server.host, ws_url=server.ws_url)
    if feed:
        assert client.connect() is True
        assert client.subscribe_orders(on_order_update=CALLBACK) is True
    return client


def updates(events: list[list[Any]]) -> list[dict[str, Any]]:
    return [event[1] for event in events if event[0] == "on_order_update" and not event[1].get("snapshot")]


def wait_for_update(client: RemoteApi, seen: list[dict], match: Callable[[dict], bool], timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen += updates(client.events())
        found = [update for update in seen if match(update)]
        if found:
            return found[0]
        time.sleep(0.02)
    raise AssertionError(f"no matching order_update within {timeout:g} s; got {seen}")


def ltp(client: RemoteApi, symbol: str = "SBIN") -> float:
    return ok(client.quotes(symbol=symbol, exchange="NSE"))["data"]["ltp"]


def test_subscribe_orders_gets_market_and_limit_order_changes_within_a_second(server: Server, openalgo2: ClientVersion):
    client = client_for(openalgo2, server, server.key, feed=True)
    seen: list[dict] = []
    started = time.monotonic()
    market = ok(client.placeorder(strategy="v2", symbol="SBIN", action="BUY", exchange="NSE", price_type="MARKET",
                                  product="MIS", quantity=1))["orderid"]
    done = wait_for_update(client, seen, lambda u: u["orderid"] == market, 1.0)
    assert time.monotonic() - started < 1.5
    assert (done["order_status"], done["filled_quantity"], done["pending_quantity"], done["symbol"]) == \
        ("complete", 1, 0, "SBIN")
    price = round(ltp(client, "INFY") * 0.9 / TICK) * TICK
    limit = ok(client.placeorder(strategy="v2", symbol="INFY", action="BUY", exchange="NSE", price_type="LIMIT",
                                 product="MIS", quantity=2, price=f"{price:.2f}"))["orderid"]
    opened = wait_for_update(client, seen, lambda u: u["orderid"] == limit, 1.0)
    ok(client.modifyorder(order_id=limit, strategy="v2", symbol="INFY", action="BUY", exchange="NSE",
                          price_type="LIMIT", product="MIS", quantity=3, price=f"{price:.2f}"))
    modified = wait_for_update(client, seen, lambda u: u["orderid"] == limit and u["quantity"] == 3, 1.0)
    ok(client.cancelorder(order_id=limit, strategy="v2"))
    cancelled = wait_for_update(client, seen, lambda u: u["orderid"] == limit and u["order_status"] == "cancelled", 1.0)
    assert [opened["order_status"], modified["order_status"], cancelled["order_status"]] == ["open", "open", "cancelled"]
    history = client.get_orders()["orders"]   # the client's own most-recent-first record
    assert history[0]["orderid"] == limit and history[0]["order_status"] == "cancelled"
    client.disconnect()


def test_two_users_connected_at_once_see_only_their_own_order_updates(server: Server, openalgo2: ClientVersion):
    mine = client_for(openalgo2, server, server.key, feed=True)
    theirs = client_for(openalgo2, server, server.add_user("neighbour"), feed=True)
    my_orders = {ok(mine.placeorder(strategy="a", symbol="TCS", action="BUY", exchange="NSE", price_type="MARKET",
                                    product="MIS", quantity=1))["orderid"] for _ in range(3)}
    their_order = ok(theirs.placeorder(strategy="b", symbol="TCS", action="BUY", exchange="NSE",
                                       price_type="MARKET", product="MIS", quantity=1))["orderid"]
    mine_seen = updates(mine.wait_for_events(lambda events: len(updates(events)) >= 3, 3.0))
    theirs_seen = updates(theirs.wait_for_events(lambda events: len(updates(events)) >= 1, 3.0))
    time.sleep(0.5)
    mine_seen += updates(mine.events())
    theirs_seen += updates(theirs.events())
    assert {u["orderid"] for u in mine_seen} == my_orders
    assert {u["orderid"] for u in theirs_seen} == {their_order}


def _oco(client: RemoteApi, below: float, above: float, strategy: str = "gtt") -> dict[str, Any]:
    return client.placegttorder(strategy=strategy, trigger_type="OCO", symbol="SBIN", action="SELL", exchange="NSE",
                                product="CNC", quantity=1, triggerprice_sl=round(below, 2),
                                stoploss=round(below - 2 * TICK, 2), triggerprice_tg=round(above, 2),
                                target=round(above + 2 * TICK, 2))


def _tight(client: RemoteApi, place: Callable[[float, float], dict]) -> dict:
    """Place (or modify) with triggers a few ticks around the price now: the market soon crosses one."""
    for _ in range(5):
        price = ltp(client)
        answer = place(round(price / TICK) * TICK - 3 * TICK, round(price / TICK) * TICK + 3 * TICK)
        if answer.get("status") == "success":
            return answer
        assert "both sides of the last price" in answer.get("message", ""), answer   # it moved meanwhile
    raise AssertionError("could not place a GTT around a moving price")


def _gtt(client: RemoteApi, trigger_id: str) -> dict:
    [entry] = [g for g in ok(client.gttorderbook(status="all"))["data"] if g["trigger_id"] == trigger_id]
    return entry


def test_gtt_oco_is_placed_listed_modified_triggered_into_an_order_and_cancelled(server: Server, openalgo2: ClientVersion):
    client = client_for(openalgo2, server, server.key, feed=True)
    ok(client.placeorder(strategy="gtt", symbol="SBIN", action="BUY", exchange="NSE", price_type="MARKET",
                         product="CNC", quantity=1))   # the shares the OCO's legs would sell
    price = ltp(client)
    trigger_id = ok(_oco(client, price * 0.9, price * 1.1))["trigger_id"]
    listed = [g for g in ok(client.gttorderbook())["data"] if g["trigger_id"] == trigger_id]
    assert listed and listed[0]["status"] == "active" and listed[0]["trigger_type"] == "two-leg"
    ok(_tight(client, lambda below, above: client.modifygttorder(
        trigger_id=trigger_id, strategy="gtt", trigger_type="OCO", symbol="SBIN", action="SELL", exchange="NSE",
        product="CNC", quantity=1, triggerprice_sl=round(below, 2), stoploss=round(below - 2 * TICK, 2),
        triggerprice_tg=round(above, 2), target=round(above + 2 * TICK, 2))))
    deadline = time.monotonic() + 240
    while (entry := _gtt(client, trigger_id))["status"] == "active":
        assert time.monotonic() < deadline, "the simulated price never crossed a few-tick band"
        time.sleep(1)
    assert entry["status"] == "triggered"
    [orderid] = [leg["orderid"] for leg in entry["legs"] if leg["orderid"]]
    status = ok(client.orderstatus(order_id=orderid, strategy="gtt"))["data"]
    assert (status["action"], status["quantity"], status["product"]) == ("SELL", 1, "CNC")
    wait_for_update(client, [], lambda u: u["orderid"] == orderid, 5.0)

    other = ok(_oco(client, price * 0.8, price * 1.2))["trigger_id"]
    assert ok(client.cancelgttorder(trigger_id=other, strategy="gtt"))["trigger_id"] == other
    assert _gtt(client, other)["status"] == "cancelled"
    assert other not in [g["trigger_id"] for g in ok(client.gttorderbook())["data"]]


def test_gtts_survive_a_killed_server_and_still_trigger(server: Server, openalgo2: ClientVersion):
    client = client_for(openalgo2, server, server.key)
    ok(client.placeorder(strategy="gtt", symbol="SBIN", action="BUY", exchange="NSE", price_type="MARKET",
                         product="CNC", quantity=2))
    price = ltp(client)
    waiting = ok(_oco(client, price * 0.7, price * 1.3, "restart"))["trigger_id"]
    tight = ok(_tight(client, lambda below, above: _oco(client, below, above, "restart")))["trigger_id"]
    client.close()
    os.killpg(server.process.pid, signal.SIGKILL)   # no shutdown of any kind
    server.process.wait(10)
    server.start()
    watcher = client_for(openalgo2, server, server.key, feed=True)
    seen: list[dict] = []
    deadline = time.monotonic() + 240
    while True:   # no REST call meanwhile: the restarted server triggers it by itself
        seen += [e[1] for e in watcher.events() if e[0] == "on_order_update"]
        if any(u["strategy"] == "restart" and u["action"] == "SELL" for u in seen):
            break
        assert time.monotonic() < deadline, "the GTT left before the kill never triggered after the restart"
        time.sleep(0.5)
    assert _gtt(watcher, tight)["status"] == "triggered"
    assert _gtt(watcher, waiting)["status"] == "active"


def test_notify_endpoints_answer_what_the_client_expects_without_a_bot(server: Server, openalgo2: ClientVersion):
    client = client_for(openalgo2, server, server.key)
    answer = client.whatsapp("hello from a script")
    assert answer["status"] == "error" and answer["code"] == 409 and "not paired" in answer["message"]
    assert client.telegram(username="scripter", message="hello")["code"] == 409
