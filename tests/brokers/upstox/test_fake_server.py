"""The fake Upstox itself: auth checks, request validation, documented limits and the failure modes the
plugin's tests rely on (the official SDK covers the happy paths in test_sdk_against_fake.py)."""
from __future__ import annotations

import gzip
import json
import time
from typing import Iterator

import pytest
import requests
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from broker.upstox.feed_codec import decode
from tests.fakes.upstox import UpstoxServer

SBIN = "NSE_EQ|INE062A01020"


@pytest.fixture
def upstox() -> Iterator[UpstoxServer]:
    with UpstoxServer() as server:
        yield server


def call(upstox: UpstoxServer, method: str, path: str, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {upstox.access_token}", "Accept": "application/json"}
    return requests.request(method, upstox.url + path, headers=headers, timeout=10, **kwargs)


def error_code(response: requests.Response) -> str:
    return response.json()["errors"][0]["error_code"]


def limit_order(**changes) -> dict:
    return {"quantity": 1, "product": "I", "validity": "DAY", "price": 500.0, "instrument_token": SBIN,
            "order_type": "LIMIT", "transaction_type": "BUY", "disclosed_quantity": 0, "trigger_price": 0,
            "is_amo": False, "slice": False, **changes}


def test_every_call_needs_the_bearer_token(upstox: UpstoxServer) -> None:
    response = requests.get(upstox.url + "/v2/order/retrieve-all", headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 401 and error_code(response) == "UDAPI100050"
    assert call(upstox, "GET", "/v2/order/retrieve-all").status_code == 200
    upstox.expire_token()
    assert error_code(call(upstox, "GET", "/v2/order/retrieve-all")) == "UDAPI100050"


def test_token_exchange_refuses_a_wrong_secret_or_code(upstox: UpstoxServer) -> None:
    form = {"code": "upstoxauthcode1", "client_id": upstox.client_id, "client_secret": "nope",
            "redirect_uri": "http://x/cb", "grant_type": "authorization_code"}
    assert requests.post(upstox.url + "/v2/login/authorization/token", data=form).status_code == 401
    form.update(client_secret=upstox.client_secret, code="stale")
    assert error_code(requests.post(upstox.url + "/v2/login/authorization/token", data=form)) == "UDAPI100057"


@pytest.mark.parametrize("changes, field", [
    ({"quantity": 0}, "quantity"), ({"product": "MIS"}, "product"), ({"order_type": "STOP"}, "order_type"),
    ({"price": 0}, "price"), ({"order_type": "SL", "trigger_price": 0}, "trigger_price"),
    ({"instrument_token": "NSE_EQ|NOPE"}, "instrument_token")])
def test_order_validation_names_the_field(upstox: UpstoxServer, changes: dict, field: str) -> None:
    response = call(upstox, "POST", "/v3/order/place", json=limit_order(**changes))
    assert response.status_code == 400 and response.json()["errors"][0]["property_path"] == field


def test_place_modify_cancel_state(upstox: UpstoxServer) -> None:
    order_id = call(upstox, "POST", "/v3/order/place", json=limit_order()).json()["data"]["order_ids"][0]
    assert call(upstox, "PUT", "/v3/order/modify", json={"order_id": order_id, "order_type": "LIMIT", "quantity": 2,
                                                           "price": 501, "validity": "DAY"}).status_code == 200
    assert call(upstox, "GET", "/v2/order/details", params={"order_id": order_id}).json()["data"]["quantity"] == 2
    assert call(upstox, "DELETE", "/v3/order/cancel", params={"order_id": order_id}).status_code == 200
    again = call(upstox, "DELETE", "/v3/order/cancel", params={"order_id": order_id})
    assert again.status_code == 400 and error_code(again) == "UDAPI100010"
    assert error_code(call(upstox, "GET", "/v2/order/details", params={"order_id": "999"})) == "UDAPI100010"


def test_more_than_25_slices_is_refused(upstox: UpstoxServer) -> None:
    response = call(upstox, "POST", "/v3/order/place",
                    json=limit_order(instrument_token="NSE_FO|54524", quantity=1800 * 25 + 1, slice=True))
    assert response.status_code == 400 and response.json()["errors"][0]["property_path"] == "quantity"


def test_quotes_take_at_most_500_keys_and_leave_out_unknown_ones(upstox: UpstoxServer) -> None:
    answer = call(upstox, "GET", "/v2/market-quote/quotes", params={"instrument_key": f"{SBIN},NSE_EQ|NOPE"})
    assert list(answer.json()["data"]) == ["NSE_EQ:SBIN"]
    too_many = ",".join([SBIN] * 501)
    assert call(upstox, "GET", "/v3/market-quote/ltp", params={"instrument_key": too_many}).status_code == 400


@pytest.mark.parametrize("path, ok", [
    ("/v3/historical-candle/NSE_EQ|INE062A01020/minutes/15/2025-02-01/2025-01-01", True),
    ("/v3/historical-candle/NSE_EQ|INE062A01020/minutes/15/2025-02-05/2025-01-01", False),   # > 1 month
    ("/v3/historical-candle/NSE_EQ|INE062A01020/minutes/30/2025-03-31/2025-01-01", True),    # 1 quarter
    ("/v3/historical-candle/NSE_EQ|INE062A01020/hours/6/2025-01-31/2025-01-01", False),       # hours 1-5
    ("/v3/historical-candle/NSE_EQ|INE062A01020/days/1/2024-12-31/2015-01-02", True),
    ("/v3/historical-candle/NSE_EQ|INE062A01020/weeks/1/2024-12-31/2001-01-01", True),       # no limit
])
def test_history_ranges(upstox: UpstoxServer, path: str, ok: bool) -> None:
    response = requests.get(upstox.url + path, timeout=10)       # candles need no token
    assert (response.status_code == 200) is ok, response.text


def test_candles_come_newest_first(upstox: UpstoxServer) -> None:
    candles = requests.get(upstox.url + "/v3/historical-candle/NSE_EQ|INE062A01020/days/1/2025-01-10/2025-01-01",
                           timeout=10).json()["data"]["candles"]
    assert [c[0] for c in candles] == sorted((c[0] for c in candles), reverse=True)


def test_instrument_master_is_gzipped_json(upstox: UpstoxServer) -> None:
    response = requests.get(upstox.instruments_url, timeout=10)
    assert json.loads(gzip.decompress(response.content))[0]["instrument_key"].startswith("NSE_EQ|")


def test_failure_modes(upstox: UpstoxServer) -> None:
    upstox.fail_next(429, "UDAPI10005", "Too Many Request Sent", times=2, paths=("/v2/order",))
    assert [call(upstox, "GET", "/v2/order/retrieve-all").status_code for _ in range(3)] == [429, 429, 200]
    upstox.fail_next(503, "UDAPI100500", "Something went wrong")
    assert call(upstox, "GET", "/v2/portfolio/long-term-holdings").status_code == 503
    upstox.malformed_next()
    assert call(upstox, "GET", "/v2/portfolio/long-term-holdings").text.startswith("<html>")
    upstox.slow_next(0.5)
    started = time.monotonic()
    call(upstox, "GET", "/v2/portfolio/long-term-holdings")
    assert time.monotonic() - started >= 0.5


def test_feed_needs_an_authorized_url_and_enforces_its_caps(upstox: UpstoxServer) -> None:
    with pytest.raises(InvalidStatus):
        connect(upstox.feed.url + "?code=made-up").recv(1)
    url = call(upstox, "GET", "/v3/feed/market-data-feed/authorize").json()["data"]["authorized_redirect_uri"]
    with connect(url) as ws:
        assert decode(ws.recv(5)).type == "market_info"
        ws.send(json.dumps({"guid": "1", "method": "sub", "data": {"mode": "option_greeks",
                                                                   "instrumentKeys": ["NSE_FO|54524"]}}).encode())
        snapshot = decode(ws.recv(5))
        assert snapshot.type == "initial_feed" and snapshot.quotes[0].greeks is not None
        keys = [f"NSE_FO|{n}" for n in range(2000)]
        ws.send(json.dumps({"guid": "2", "method": "sub", "data": {"mode": "full", "instrumentKeys": keys}}).encode())
        with pytest.raises(ConnectionClosed):      # mixing modes: full is capped at 1500
            while True:
                ws.recv(5)
    assert upstox.feed.closed_for_limit == ["full"]
