"""Order and account endpoints in process (test client), on SQLite: shapes, rules and the journal."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from database.journal import entries_for_user
from services.paper_account import paper_engine
from services import broker_session
from tests.api.conftest import Account, make_account
from tests.support.prices import resting_buy

pytestmark = pytest.mark.dates  # the day and time matter: ./test.sh reruns it under shifted clocks

ORDER = {"strategy": "t", "symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": "10",
         "pricetype": "MARKET", "product": "MIS"}


def test_place_then_status_and_books(account: Account):
    placed = account.post("placeorder", **ORDER)
    assert placed.status_code == 200, placed.json
    orderid = placed.json["orderid"]
    assert isinstance(orderid, str) and set(placed.json) == {"status", "orderid"}
    status = account.post("orderstatus", orderid=orderid, strategy="t").json["data"]
    assert status["order_status"] == "complete" and status["average_price"] > 0 and status["quantity"] == 10
    book = account.post("orderbook").json["data"]
    assert book["statistics"]["total_buy_orders"] == 1 and book["orders"][0]["orderid"] == orderid
    [trade] = account.post("tradebook").json["data"]
    assert trade["trade_value"] == round(trade["quantity"] * trade["average_price"], 2)
    [position] = account.post("positionbook").json["data"]
    assert position["quantity"] == 10 and position["average_price"] == f"{trade['average_price']:.2f}"
    assert account.post("openposition", strategy="t", symbol="SBIN", exchange="NSE", product="MIS").json == {
        "status": "success", "quantity": 10}
    funds = account.post("funds").json["data"]
    assert set(funds) == {"availablecash", "collateral", "m2mrealized", "m2munrealized", "utiliseddebits"}
    assert all(isinstance(v, str) and v.count(".") == 1 and len(v.split(".")[1]) == 2 for v in funds.values())
    holdings = account.post("holdings").json["data"]
    assert holdings["holdings"] == [] and holdings["statistics"]["totalholdingvalue"] == 0
    with account.app.app_context():
        [entry] = entries_for_user(account.user_id)
        assert entry.orderid == orderid and entry.mode == "live" and "apikey" not in entry.request_json
        assert entry.total_ms is not None and entry.broker_ms is not None


def test_business_rules_are_400_naming_the_problem(account: Account):
    cases = {
        "Fractional quantity (1.5) is not allowed": {**ORDER, "quantity": "1.5"},
        "NRML product is not allowed on NSE": {**ORDER, "product": "NRML"},
        "price must be greater than 0 for LIMIT": {**ORDER, "pricetype": "LIMIT"},
        "trigger_price must be greater than 0 for SL-M": {**ORDER, "pricetype": "SL-M"},
        "Symbol 'NOPE' not found for exchange 'NSE'": {**ORDER, "symbol": "NOPE"},
    }
    for message, body in cases.items():
        answer = account.post("placeorder", **body)
        assert answer.status_code == 400 and message in answer.json["message"], (message, answer.json)
    for body in ({}, {"quantity": "x"}, {**ORDER, "exchange": "XYZ"}, {**ORDER, "quantity": -1}):
        answer = account.post("placeorder", **body)
        assert answer.status_code == 400 and answer.json["status"] == "error"
    with account.app.app_context():
        future = next(row for row in paper_engine(account.user_id).catalog().rows if row.instrumenttype == "FUTIDX")
    lots = account.post("placeorder", **{**ORDER, "symbol": future.symbol, "exchange": future.exchange,
                                          "product": "NRML", "quantity": future.lotsize + 1})
    assert lots.status_code == 400 and f"lot size {future.lotsize}" in lots.json["message"]
    raw = account.client.post("/api/v1/placeorder", data="not json", content_type="application/json")
    assert raw.status_code == 400 and "JSON" in raw.json["message"]


def test_smart_basket_split(account: Account):
    smart = dict(ORDER, position_size="20", quantity="0")
    assert account.post("placesmartorder", **smart).json["orderid"]
    assert account.post("placesmartorder", **smart).json["message"] == "Positions Already Matched. No Action needed."
    closed = account.post("placesmartorder", **dict(smart, position_size="0", action="SELL"))
    assert closed.status_code == 200 and closed.json["orderid"]
    assert account.post("openposition", strategy="t", symbol="SBIN", exchange="NSE", product="MIS").json[
        "quantity"] == 0
    legs = [{"symbol": s, "exchange": "NSE", "action": a, "quantity": "1"}
            for s, a in (("INFY", "SELL"), ("SBIN", "BUY"), ("TCS", "BUY"))]
    basket = account.post("basketorder", strategy="b", orders=legs).json
    assert [r["status"] for r in basket["results"]] == ["success"] * 3
    assert basket["results"][-1]["symbol"] == "INFY"   # the SELL leg ran after the BUY legs
    split = account.post("splitorder", **dict(ORDER, quantity="105", splitsize="10")).json
    assert split["total_quantity"] == 105 and len(split["results"]) == 11
    assert split["results"][-1] == {**split["results"][-1], "order_num": 11, "quantity": 5, "status": "success"}
    too_many = account.post("splitorder", **dict(ORDER, quantity="1010", splitsize="10"))
    assert too_many.status_code == 400 and "maximum limit of 100" in too_many.json["message"]


def resting_price(account: Account, symbol: str = "SBIN", below: float = 0.97) -> float:
    """A LIMIT BUY price inside the price band but below the market, so the order rests."""
    with account.app.app_context():
        engine = paper_engine(account.user_id)
        return resting_buy(engine.quote(engine.instrument(symbol, "NSE"))["ltp"], below=below)


def test_modify_cancel_cancelall_close(account: Account):
    price = resting_price(account)
    ltp_far = {**ORDER, "pricetype": "LIMIT", "price": f"{price:.2f}"}
    orderid = account.post("placeorder", **ltp_far).json["orderid"]
    modified = account.post("modifyorder", **{**ltp_far, "orderid": orderid, "price": f"{price - 1:.2f}", "quantity": "5",
                                              "disclosed_quantity": "0", "trigger_price": "0"})
    assert modified.status_code == 200, modified.json
    status = account.post("orderstatus", orderid=orderid, strategy="t").json["data"]
    assert status["price"] == round(price - 1, 2) and status["quantity"] == 5 and status["order_status"] == "open"
    assert account.post("cancelorder", orderid=orderid, strategy="t").json == {"status": "success",
                                                                             "orderid": orderid}
    assert account.post("cancelorder", orderid="999", strategy="t").status_code == 404
    first = account.post("placeorder", **ltp_far).json["orderid"]
    other = account.post("placeorder", **{**ltp_far, "strategy": "other"}).json["orderid"]
    cancelled = account.post("cancelallorder", strategy="t").json
    assert cancelled["canceled_orders"] == [first] and "strategy 't'" in cancelled["message"]
    assert account.post("cancelallorder", strategy="other").json["canceled_orders"] == [other]
    account.post("placeorder", **ORDER)
    closed = account.post("closeposition", strategy="t").json
    assert closed["status"] == "success" and closed["closed_positions"] == 1
    assert account.post("positionbook").json["data"][0]["quantity"] == 0


def test_without_a_broker_session_orders_are_403_saying_what_to_do(api_app):
    account = make_account(api_app, username="unconnected")
    with api_app.app_context():
        broker_session.disconnect(account.user_id)
    for endpoint, body in (("placeorder", ORDER), ("orderbook", {}),
                           ("basketorder", {"strategy": "b", "orders": [dict(ORDER)]})):
        answer = account.post(endpoint, **body)
        assert answer.status_code == 403 and "Connect your broker" in answer.json["message"], answer.json


def test_concurrent_smart_orders_reach_the_target_once(account: Account):
    smart = dict(ORDER, position_size="10", quantity="0")

    def send(_: int) -> dict:
        return account.app.test_client().post("/api/v1/placesmartorder", json={"apikey": account.key, **smart}).json

    with ThreadPoolExecutor(max_workers=5) as pool:
        answers = list(pool.map(send, range(5)))
    assert sum(1 for a in answers if "orderid" in a) == 1, answers
    assert account.post("openposition", strategy="t", symbol="SBIN", exchange="NSE", product="MIS").json[
        "quantity"] == 10
