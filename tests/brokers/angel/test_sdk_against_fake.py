"""The fake Angel One servers speak SmartAPI: Angel's own Python SDK (smartapi-python, a dev dependency)
logs in, trades, reads books, quotes, candles and funds, and receives SmartStream binary ticks and
order-status pushes from them. Only the SDK's URL attributes are pointed at the fakes."""
from __future__ import annotations

import json
import threading
import time
from typing import Any, Iterator

import pytest

SmartApi = pytest.importorskip("SmartApi", reason="smartapi-python is a dev dependency (requirements-dev.txt)")
from SmartApi import SmartConnect  # noqa: E402
from SmartApi.smartWebSocketOrderUpdate import SmartWebSocketOrderUpdate  # noqa: E402
from SmartApi.smartWebSocketV2 import SmartWebSocketV2  # noqa: E402

from tests.fakes.angel import (API_KEY, CLIENT_CODE, PIN, AngelServer, OrderStatusServer,  # noqa: E402
                               SmartStreamServer)
from tests.fakes.angel.data import base_price  # noqa: E402


@pytest.fixture
def angel(monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[AngelServer]:
    monkeypatch.chdir(tmp_path)       # the SDK writes logs/<date>/app.log into the working directory
    with AngelServer() as server:
        monkeypatch.setattr(SmartConnect, "_rootUrl", server.url)
        yield server


@pytest.fixture
def sdk(angel: AngelServer) -> SmartConnect:
    connect = SmartConnect(api_key=API_KEY, root=angel.url)
    profile = connect.generateSession(CLIENT_CODE, PIN, angel.totp())
    assert profile["status"] is True and profile["data"]["clientcode"] == CLIENT_CODE
    assert profile["data"]["jwtToken"] == f"Bearer {angel.jwt}"
    assert connect.getfeedToken() == angel.feed_token
    return connect


def _order(**overrides: Any) -> dict[str, Any]:
    params = {"variety": "NORMAL", "tradingsymbol": "SBIN-EQ", "symboltoken": "3045", "transactiontype": "BUY",
              "exchange": "NSE", "ordertype": "LIMIT", "producttype": "INTRADAY", "duration": "DAY",
              "price": str(round(base_price("3045") * 0.8, 2)), "squareoff": "0", "stoploss": "0", "quantity": "1"}
    params.update(overrides)
    return params


def test_login_refuses_a_wrong_totp_and_a_wrong_pin(angel: AngelServer):
    connect = SmartConnect(api_key=API_KEY, root=angel.url)
    wrong_totp = connect.generateSession(CLIENT_CODE, PIN, "000000" if angel.totp() != "000000" else "111111")
    assert wrong_totp["status"] is False and wrong_totp["errorcode"] == "AB1050"
    wrong_pin = connect.generateSession(CLIENT_CODE, "9999", angel.totp())
    assert wrong_pin["status"] is False and wrong_pin["errorcode"] == "AB1000"


def test_every_call_carries_the_documented_headers(sdk: SmartConnect, angel: AngelServer):
    sdk.orderBook()
    seen = angel.requests_to("/rest/secure/angelbroking/order/v1/getOrderBook")[-1].headers
    assert seen["X-Privatekey"] == API_KEY and seen["X-Usertype"] == "USER" and seen["X-Sourceid"] == "WEB"
    assert seen["Authorization"] == f"Bearer {angel.jwt}"
    assert seen["X-Clientlocalip"] and seen["X-Clientpublicip"] and seen["X-Macaddress"]


def test_place_book_modify_cancel_with_the_sdk(sdk: SmartConnect, angel: AngelServer):
    order_id = sdk.placeOrder(_order())
    assert order_id and angel.orders[order_id]["orderstatus"] == "open"
    book = {row["orderid"]: row for row in sdk.orderBook()["data"]}
    assert book[order_id]["tradingsymbol"] == "SBIN-EQ" and book[order_id]["status"] == "open"

    new_price = str(round(base_price("3045") * 0.7, 2))
    modified = sdk.modifyOrder({"variety": "NORMAL", "orderid": order_id, "ordertype": "LIMIT",
                                "producttype": "INTRADAY", "duration": "DAY", "price": new_price, "quantity": "2",
                                "tradingsymbol": "SBIN-EQ", "symboltoken": "3045", "exchange": "NSE"})
    assert modified["status"] is True and modified["data"]["orderid"] == order_id
    details = sdk.individual_order_details(book[order_id]["uniqueorderid"])
    assert details["data"]["quantity"] == "2" and details["data"]["price"] == float(new_price)

    cancelled = sdk.cancelOrder(order_id, "NORMAL")
    assert cancelled["status"] is True
    assert {row["orderid"]: row for row in sdk.orderBook()["data"]}[order_id]["orderstatus"] == "cancelled"
    again = sdk.cancelOrder(order_id, "NORMAL")
    assert again["status"] is False and "cannot be changed" in again["message"]


def test_a_market_order_fills_into_trades_and_positions(sdk: SmartConnect, angel: AngelServer):
    order_id = sdk.placeOrder(_order(ordertype="MARKET", price="0", quantity="3"))
    assert angel.orders[order_id]["orderstatus"] == "complete"
    trades = [t for t in sdk.tradeBook()["data"] if t["orderid"] == order_id]
    assert trades and trades[0]["fillsize"] == "3" and float(trades[0]["fillprice"]) == base_price("3045")
    sbin = [p for p in sdk.position()["data"] if p["tradingsymbol"] == "SBIN-EQ" and p["producttype"] == "INTRADAY"]
    assert int(sbin[0]["netqty"]) == 3 + 1           # plus the recorded morning fill of one share
    assert sdk.holding()["data"][0]["tradingsymbol"] == "TATASTEEL-EQ"
    assert float(sdk.rmsLimit()["data"]["availablecash"]) > 0


def test_the_fake_rejects_what_smartapi_rejects(sdk: SmartConnect):
    bad_token = sdk.placeOrderFullResponse(_order(symboltoken="1594"))
    assert bad_token["status"] is False and bad_token["errorcode"] == "AB4006"
    bad_variety = sdk.placeOrderFullResponse(_order(ordertype="STOPLOSS_LIMIT", triggerprice="100"))
    assert bad_variety["errorcode"] == "AB1008"
    bad_lot = sdk.placeOrderFullResponse(_order(exchange="NFO", tradingsymbol="NIFTY26DEC24FUT", symboltoken="35014",
                                                quantity="10", producttype="CARRYFORWARD"))
    assert bad_lot["status"] is False and "lot size" in bad_lot["message"]


def test_quotes_in_the_three_modes_and_ltp_data(sdk: SmartConnect):
    full = sdk.getMarketData("FULL", {"NSE": ["3045", "999999"]})["data"]
    row = full["fetched"][0]
    assert row["symbolToken"] == "3045" and row["ltp"] == base_price("3045")
    assert len(row["depth"]["buy"]) == 5 and row["depth"]["buy"][0]["price"] < row["ltp"] < row["depth"]["sell"][0]["price"]
    assert full["unfetched"][0]["symbolToken"] == "999999"
    assert set(sdk.getMarketData("LTP", {"NSE": ["3045"]})["data"]["fetched"][0]) == {
        "exchange", "tradingSymbol", "symbolToken", "ltp"}
    assert "close" in sdk.getMarketData("OHLC", {"NSE": ["3045"]})["data"]["fetched"][0]
    assert sdk.ltpData("NSE", "SBIN-EQ", "3045")["data"]["ltp"] == base_price("3045")


def test_candles_and_their_day_limits(sdk: SmartConnect):
    ok = sdk.getCandleData({"exchange": "NSE", "symboltoken": "3045", "interval": "ONE_DAY",
                            "fromdate": "2024-01-01 09:15", "todate": "2024-01-31 15:30"})
    assert ok["status"] is True and len(ok["data"]) == 23          # the weekdays of January 2024
    assert ok["data"][0][0] == "2024-01-01T00:00:00+05:30"
    too_long = sdk.getCandleData({"exchange": "NSE", "symboltoken": "3045", "interval": "ONE_MINUTE",
                                  "fromdate": "2024-01-01 09:15", "todate": "2024-03-01 15:30"})
    assert too_long["status"] is False and "30 days" in too_long["message"]


def test_margin_calculator(sdk: SmartConnect):
    answer = sdk.getMarginApi({"positions": [{"exchange": "NFO", "qty": 25, "price": 0, "productType": "CARRYFORWARD",
                                              "token": "35014", "tradeType": "BUY", "orderType": "MARKET"}]})
    assert answer["status"] is True and answer["data"]["totalMarginRequired"] > 0


def test_an_expired_token_is_refused_with_ag8001(sdk: SmartConnect, angel: AngelServer):
    angel.expire_token()
    answer = sdk.orderBook()
    assert answer["errorCode"] == "AG8001" and answer["message"] == "Invalid Token"
    renewed = sdk.generateToken(sdk.refresh_token)
    assert renewed["status"] is True and sdk.orderBook()["status"] is True


def _run(target: Any) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def _wait(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_smartwebsocketv2_receives_binary_ticks(sdk: SmartConnect, angel: AngelServer, monkeypatch):
    stream = SmartStreamServer(angel)
    try:
        monkeypatch.setattr(SmartWebSocketV2, "ROOT_URI", stream.url)
        socket = SmartWebSocketV2(f"Bearer {angel.jwt}", API_KEY, CLIENT_CODE, sdk.getfeedToken(), max_retry_attempt=0)
        ticks: list[dict[str, Any]] = []
        socket.on_open = lambda wsapp: socket.subscribe("abc123", 3, [{"exchangeType": 1, "tokens": ["3045"]},
                                                                       {"exchangeType": 2, "tokens": ["35014"]}])
        socket.on_data = lambda wsapp, message: ticks.append(message)
        thread = _run(socket.connect)
        _wait(lambda: {t["token"] for t in ticks} >= {"3045", "35014"})
        socket.close_connection()
        thread.join(5)
    finally:
        stream.close()
    sbin = next(t for t in ticks if t["token"] == "3045")
    assert sbin["subscription_mode"] == 3 and sbin["exchange_type"] == 1
    assert abs(sbin["last_traded_price"] / 100 - base_price("3045")) < 1.0       # paise on the wire
    best_bid, best_ask = sbin["best_5_buy_data"][0], sbin["best_5_sell_data"][0]
    assert best_bid["price"] < sbin["last_traded_price"] < best_ask["price"] and len(sbin["best_5_buy_data"]) == 5
    assert stream.messages[0]["params"]["mode"] == 3


def test_order_update_socket_pushes_order_changes(sdk: SmartConnect, angel: AngelServer):
    feed = OrderStatusServer(angel)
    received: list[dict[str, Any]] = []
    try:
        client = SmartWebSocketOrderUpdate(f"Bearer {angel.jwt}", API_KEY, CLIENT_CODE, sdk.getfeedToken())
        client.WEBSOCKET_URI = feed.url
        client.MAX_CONNECTION_RETRY_ATTEMPTS = 0
        client.on_message = lambda wsapp, message: received.append(json.loads(message))
        thread = _run(client.connect)
        _wait(lambda: received)
        order_id = sdk.placeOrder(_order(ordertype="MARKET", price="0"))
        _wait(lambda: any(m["orderData"]["orderid"] == order_id for m in received))
        client.close_connection()
        thread.join(5)
    finally:
        feed.close()
    assert received[0]["order-status"] == "AB00"
    assert [m["order-status"] for m in received if m["orderData"]["orderid"] == order_id] == ["AB05"]


def test_gtt_rules_with_the_sdk(sdk: SmartConnect, angel: AngelServer):
    rule_id = sdk.gttCreateRule({"tradingsymbol": "SBIN-EQ", "symboltoken": "3045", "exchange": "NSE",
                                 "producttype": "DELIVERY", "transactiontype": "BUY", "price": 190, "qty": 10,
                                 "triggerprice": 191, "disclosedqty": 0, "timeperiod": 365})
    assert rule_id in angel.gtts
    assert sdk.gttModifyRule({"id": rule_id, "symboltoken": "3045", "exchange": "NSE", "price": 180, "qty": 5,
                              "triggerprice": 181, "disclosedqty": 0, "timeperiod": 30}) == rule_id
    details = sdk.gttDetails(rule_id)["data"]
    assert (details["qty"], details["price"], details["status"]) == (5, 180.0, "NEW")
    assert [r["id"] for r in sdk.gttLists(["NEW", "ACTIVE"], 1, 10)["data"]] == [rule_id]
    assert sdk.gttCancelRule({"id": rule_id, "symboltoken": "3045", "exchange": "NSE"})["status"] is True
    assert sdk.gttLists(["NEW"], 1, 10)["data"] == [] and angel.gtts[rule_id]["status"] == "CANCELLED"
