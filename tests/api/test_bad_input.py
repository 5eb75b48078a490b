"""Issue 17.3 reproducers: each input that answered a 500 (or a misleading error) is a 400 that names the
field and what is allowed. In process, on SQLite, with a connected paper broker."""
from __future__ import annotations

import json

import pytest

from tests.api.conftest import Account, make_account
from tests.security.conftest import FAST_HASHER
from utils.constants import MAX_ORDER_QUANTITY, MAX_PRICE
from utils.json_body import MAX_JSON_DEPTH
from websocket_proxy.protocol import ProtocolError, parse_frame

ORDER = {"strategy": "t", "symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": "1",
         "pricetype": "MARKET", "product": "MIS"}


@pytest.fixture(scope="module")
def trader(tmp_path_factory) -> Account:
    from app import create_app
    from tests.conftest import TEST_SECRETS, sqlite_url

    folder = tmp_path_factory.mktemp("bad_input")
    app = create_app({**TEST_SECRETS, "ENV_FILE": None, "TESTING": True, "PASSWORD_HASHER": FAST_HASHER,
                      "DATABASE_URL": sqlite_url(folder), "LOGS_DATABASE_URL": sqlite_url(folder, "logs.db"),
                      "LOG_DIR": str(folder / "log"),
                      "ORDER_RATE_LIMIT": "10000 per second", "API_RATE_LIMIT": "10000 per second"})
    return make_account(app)


def _refused(reply, field: str, allowed: str) -> dict:
    assert reply.status_code == 400, (reply.status_code, reply.get_data(as_text=True))
    body = reply.get_json()
    text = json.dumps(body)
    assert body["status"] == "error" and field in text and allowed in text, body
    return body


TOO_BIG = [
    ("placeorder", {**ORDER, "quantity": 1e19}, "quantity", f"at most {MAX_ORDER_QUANTITY}"),
    ("placeorder", {**ORDER, "quantity": "1e19"}, "quantity", f"at most {MAX_ORDER_QUANTITY}"),
    ("placeorder", {**ORDER, "pricetype": "LIMIT", "price": 1e308}, "price", f"at most {int(MAX_PRICE)}"),
    ("placeorder", {**ORDER, "pricetype": "SL-M", "trigger_price": 1e308}, "trigger_price", "at most"),
    ("placeorder", {**ORDER, "disclosed_quantity": 10 ** 19}, "disclosed_quantity", "at most"),
    ("modifyorder", {**ORDER, "orderid": "1", "pricetype": "LIMIT", "price": 1e308}, "price", "at most"),
    ("placesmartorder", {**ORDER, "position_size": 1e19}, "position_size", f"at most {MAX_ORDER_QUANTITY}"),
    ("placesmartorder", {**ORDER, "position_size": -1e19}, "position_size", f"-{MAX_ORDER_QUANTITY}"),
    ("basketorder", {"strategy": "t", "orders": [ORDER, {**ORDER, "quantity": 1e19}]}, "quantity", "at most"),
    ("splitorder", {**ORDER, "quantity": 1e19, "splitsize": 10}, "quantity", "at most"),
    ("splitorder", {**ORDER, "quantity": 1e17, "splitsize": 10}, "quantity", "at most"),
    ("splitorder", {**ORDER, "quantity": 1e9, "splitsize": 10}, "splitsize", "maximum limit of 100"),
    ("splitorder", {**ORDER, "quantity": 10, "splitsize": 10 ** 30}, "splitsize", "at most"),
    ("splitorder", {**ORDER, "exchange": "CRYPTO", "quantity": 0.5, "splitsize": 1}, "quantity", "whole number"),
    ("optionsorder", {"strategy": "t", "underlying": "NIFTY", "exchange": "NSE_INDEX", "offset": "ATM",
                      "option_type": "CE", "action": "BUY", "quantity": 10 ** 19}, "quantity", "at most"),
]


@pytest.mark.parametrize("endpoint, body, field, allowed", TOO_BIG,
                         ids=[f"{c[0]}-{c[2]}-{n}" for n, c in enumerate(TOO_BIG)])
def test_numbers_beyond_the_limits_are_400_naming_the_field(trader: Account, endpoint, body, field, allowed):
    _refused(trader.post(endpoint, **body), field, allowed)


def test_basket_leg_is_refused_before_any_leg_is_placed(trader: Account):
    before = len(trader.post("orderbook").get_json()["data"]["orders"])
    _refused(trader.post("basketorder", strategy="t", orders=[ORDER, {**ORDER, "quantity": 1e19}]), "quantity",
             "at most")
    assert len(trader.post("orderbook").get_json()["data"]["orders"]) == before


@pytest.mark.parametrize("field", ["symbol", "strategy", "exchange", "action", "product", "pricetype", "apikey"])
def test_lone_surrogate_in_any_string_field_is_400(trader: Account, field: str):
    body = {"apikey": trader.key, **ORDER, field: "SB\ud800IN"}
    reply = trader.client.post("/api/v1/placeorder", data=json.dumps(body), content_type="application/json")
    _refused(reply, field, "surrogate")


def test_lone_surrogate_in_a_basket_leg_names_the_leg(trader: Account):
    body = {"apikey": trader.key, "strategy": "t", "orders": [ORDER, {**ORDER, "symbol": "\udc00"}]}
    reply = trader.client.post("/api/v1/basketorder", data=json.dumps(body), content_type="application/json")
    _refused(reply, "orders[1].symbol", "surrogate")


def test_an_escaped_surrogate_pair_is_fine(trader: Account):
    body = json.dumps({"apikey": trader.key, **ORDER, "strategy": "rocket \U0001F680"})   # \ud83d\ude80 on the wire
    assert "\\ud83d" in body
    assert trader.client.post("/api/v1/placeorder", data=body, content_type="application/json").status_code == 200


def test_json_nested_50000_deep_is_400(trader: Account):
    deep = '{"apikey": "%s", "strategy": ' % trader.key + "[" * 50_000 + "]" * 50_000 + "}"
    _refused(trader.client.post("/api/v1/placeorder", data=deep, content_type="application/json"), "nested",
             f"at most {MAX_JSON_DEPTH} levels")
    shallow = json.dumps({"apikey": trader.key, **ORDER, "extra": [[[[1]]]]})
    assert trader.client.post("/api/v1/placeorder", data=shallow, content_type="application/json").status_code == 200


def test_5000_digit_quantity_is_reported_as_the_quantity(trader: Account):
    body = '{"apikey": "%s", "strategy": "t", "symbol": "SBIN", "exchange": "NSE", "action": "BUY", ' \
           '"product": "MIS", "pricetype": "MARKET", "quantity": %s}' % (trader.key, "9" * 5000)
    body = _refused(trader.client.post("/api/v1/placeorder", data=body, content_type="application/json"),
                    "quantity", "")
    assert "apikey" not in json.dumps(body)


def test_invalid_json_says_why(trader: Account):
    reply = trader.client.post("/api/v1/placeorder", data='{"apikey": "x", ', content_type="application/json")
    assert reply.status_code == 400 and reply.get_json()["message"].startswith("Invalid JSON body")


@pytest.mark.parametrize("frame", ['{"action": "subscribe", "x": ' + "[" * 10_000 + "]" * 10_000 + "}",
                                   '{"action": "subscribe", "symbols": ["\\ud800"]}'])
def test_websocket_frames_beyond_the_limits_are_invalid_json(frame: str):
    with pytest.raises(ProtocolError) as caught:
        parse_frame(frame)
    assert caught.value.code == "INVALID_JSON"


@pytest.mark.parametrize("interval, days, allowed", [("5m", 3599, 381), ("D", 65_000, 3660), ("1m", 365, 76)])
def test_history_ranges_beyond_the_limits_are_400_before_any_work(trader: Account, interval, days, allowed):
    from datetime import timedelta

    from utils import clock

    end = clock.now().date()
    reply = trader.post("history", symbol="SBIN", exchange="NSE", interval=interval,
                        start_date=str(end - timedelta(days=days)), end_date=str(end))
    _refused(reply, "start_date", f"at most {allowed} days")
