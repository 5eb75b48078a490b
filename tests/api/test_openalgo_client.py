"""The acceptance script: the public `openalgo` client, 1.0.47 and 2.0.5 (each in its own interpreter, see
tests/support/openalgo_clients.py), against `python app.py` with the paper broker. Each client version
trades as its own user, so the scenario's books start empty for both."""
from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.api.server import Server, prepared_server
from tests.support.openalgo_clients import ClientVersion
from tests.support.prices import resting_buy

pytestmark = pytest.mark.xdist_group("servers")


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Server:
    srv = prepared_server(tmp_path_factory.mktemp("api"))
    srv.start()
    yield srv
    srv.stop()


def ok(answer: dict) -> dict:
    assert answer.get("status") == "success", answer
    return answer


def test_a_trading_script_runs_unchanged(server: Server, openalgo_client: ClientVersion):
    key = server.add_user(f"script{openalgo_client.version.replace('.', '')}")
    client = openalgo_client.api(api_key=key, host=server.host)
    orderid = ok(client.placeorder(strategy="s", symbol="SBIN", action="BUY", exchange="NSE", price_type="MARKET",
                                   product="MIS", quantity=10))["orderid"]
    assert ok(client.orderstatus(order_id=orderid, strategy="s"))["data"]["order_status"] == "complete"
    assert ok(client.openposition(strategy="s", symbol="SBIN", exchange="NSE", product="MIS"))["quantity"] == 10
    ok(client.placesmartorder(strategy="s", symbol="SBIN", action="SELL", exchange="NSE", price_type="MARKET",
                              product="MIS", quantity=0, position_size=0))
    assert ok(client.openposition(strategy="s", symbol="SBIN", exchange="NSE", product="MIS"))["quantity"] == 0

    basket = ok(client.basketorder(strategy="s", orders=[
        {"symbol": "INFY", "exchange": "NSE", "action": "BUY", "quantity": 1, "pricetype": "MARKET", "product": "MIS"},
        {"symbol": "TCS", "exchange": "NSE", "action": "BUY", "quantity": 1, "pricetype": "MARKET", "product": "MIS"},
        {"symbol": "SBIN", "exchange": "NSE", "action": "SELL", "quantity": 1, "pricetype": "MARKET",
         "product": "MIS"}]))
    assert sorted(r["symbol"] for r in basket["results"]) == ["INFY", "SBIN", "TCS"]
    assert all(r["status"] == "success" for r in basket["results"])
    split = ok(client.splitorder(strategy="s", symbol="SBIN", action="BUY", exchange="NSE", quantity=105,
                                 splitsize=10, price_type="MARKET", product="MIS"))
    assert len(split["results"]) == 11 and sum(r["quantity"] for r in split["results"]) == 105

    quote_ltp = _ltp(client, "SBIN")
    limit = f"{resting_buy(quote_ltp):.2f}"
    resting = ok(client.placeorder(strategy="s", symbol="SBIN", action="BUY", exchange="NSE", price_type="LIMIT",
                                   product="MIS", quantity=2, price=limit))["orderid"]
    ok(client.modifyorder(order_id=resting, strategy="s", symbol="SBIN", action="BUY", exchange="NSE",
                          price_type="LIMIT", product="MIS", quantity=3, price=limit))
    assert ok(client.orderstatus(order_id=resting, strategy="s"))["data"]["quantity"] == 3
    ok(client.cancelorder(order_id=resting, strategy="s"))
    ok(client.placeorder(strategy="s", symbol="SBIN", action="BUY", exchange="NSE", price_type="LIMIT",
                         product="MIS", quantity=2, price=limit))
    assert len(ok(client.cancelallorder(strategy="s"))["canceled_orders"]) == 1

    book = ok(client.orderbook())["data"]
    trades = ok(client.tradebook())["data"]
    completed = [o for o in book["orders"] if o["order_status"] == "complete"]
    assert book["statistics"]["total_completed_orders"] == len(completed) == len(trades)
    positions = ok(client.positionbook())["data"]
    net = {(p["symbol"], p["product"]): p["quantity"] for p in positions}
    assert net == {("SBIN", "MIS"): 104, ("INFY", "MIS"): 1, ("TCS", "MIS"): 1, ("SBIN", "CNC"): 1}
    ok(client.closeposition(strategy="s"))
    assert all(p["quantity"] == 0 for p in ok(client.positionbook())["data"])
    funds = ok(client.funds())["data"]
    assert float(funds["utiliseddebits"]) == 0 and float(funds["availablecash"]) > 0
    assert set(ok(client.holdings())["data"]) == {"holdings", "statistics"}


def _ltp(client, symbol: str) -> float:  # noqa: ANN001 (a RemoteApi)
    """Through the app's paper engine in a CLI-free way: a MARKET fill price is close enough to the LTP."""
    orderid = ok(client.placeorder(strategy="probe", symbol=symbol, action="BUY", exchange="NSE",
                                   price_type="MARKET", product="CNC", quantity=1))["orderid"]
    return ok(client.orderstatus(order_id=orderid, strategy="probe"))["data"]["average_price"]


MALFORMED = {
    "missing field": ({"strategy": "s", "exchange": "NSE", "action": "BUY", "quantity": 1}, "symbol"),
    "wrong type": ({"strategy": "s", "symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": "ten"},
                   "quantity"),
    "unknown exchange": ({"strategy": "s", "symbol": "SBIN", "exchange": "XYZ", "action": "BUY", "quantity": 1},
                         "exchange"),
    "negative quantity": ({"strategy": "s", "symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": -5},
                          "quantity"),
    "empty JSON": ({}, "symbol"),
}
ORDER_ENDPOINTS = ("placeorder", "placesmartorder", "basketorder", "splitorder", "modifyorder", "cancelorder",
                   "orderstatus", "openposition")


def test_malformed_bodies_are_4xx_json_naming_the_problem(server: Server):
    url = f"{server.host}/api/v1/placeorder"
    for case, (body, field) in MALFORMED.items():
        answer = requests.post(url, json={"apikey": server.key, **body}, timeout=10)
        assert answer.status_code == 400 and field in answer.json()["message"], (case, answer.text)
    for endpoint in ORDER_ENDPOINTS + ("cancelallorder", "closeposition", "funds", "orderbook", "analyzer/toggle"):
        for data in (b"not json", b"[1, 2]", b'{"apikey": '):
            answer = requests.post(f"{server.host}/api/v1/{endpoint}", data=data,
                                   headers={"Content-Type": "application/json"}, timeout=10)
            assert 400 <= answer.status_code < 500 and answer.json()["status"] == "error", (endpoint, answer.text)
        empty = requests.post(f"{server.host}/api/v1/{endpoint}", json={"apikey": server.key}, timeout=10)
        assert empty.status_code in (200, 400), (endpoint, empty.text)
        if endpoint in ORDER_ENDPOINTS:
            assert empty.status_code == 400 and "Missing data for required field" in empty.json()["message"]
    huge = requests.post(url, data=b'{"apikey": "' + b"x" * 3_000_000 + b'"}',
                         headers={"Content-Type": "application/json"}, timeout=10)
    assert huge.status_code == 413 and huge.json()["status"] == "error"
