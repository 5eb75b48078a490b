"""The fake Dhan endpoints are faithful: the official `dhanhq` SDK (PyPI, a dev dependency) drives them.

The SDK is pointed at the fakes through its own configuration points only — the HTTP base URL on its
DhanHTTP object, and the class-level URLs of DhanLogin, Security (scrip master), MarketFeed and the
OrderUpdate instance — so nothing of ours is patched. It unwraps nothing: it wraps every bare answer
in its own `{"status", "remarks", "data"}`, which is why `data` below is the wire body itself.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import Any

import pytest

from dhanhq import DhanContext, DhanLogin, OrderUpdate, Security, dhanhq   # dev dependency (requirements-dev.txt)
from dhanhq import auth as sdk_auth
from dhanhq.marketfeed import MarketFeed

from tests.fakes.dhan import ACCESS_TOKEN, CLIENT_ID
from tests.fakes.dhan.server import APP_ID, APP_SECRET, IST, PIN, TOTP


@pytest.fixture
def api(dhan):
    context = DhanContext(CLIENT_ID, ACCESS_TOKEN)
    context.get_dhan_http().base_url = dhan.url
    return dhanhq(context)


def ok(answer: dict[str, Any]) -> Any:
    assert answer["status"] == "success", answer["remarks"]
    return answer["data"]


def test_order_lifecycle_place_book_modify_cancel(api, dhan):
    placed = ok(api.place_order(security_id="1333", exchange_segment=api.NSE, transaction_type=api.BUY, quantity=5,
                                order_type=api.LIMIT, product_type=api.INTRA, price=dhan.ltp - 1, tag="sdk-1"))
    order_id = placed["orderId"]
    assert placed["orderStatus"] == "PENDING"
    sent = dhan.requests_to("/v2/orders", "POST")[-1]
    assert sent.headers["Access-Token"] == ACCESS_TOKEN and sent.headers["Client-Id"] == CLIENT_ID
    assert sent.json["dhanClientId"] == CLIENT_ID and sent.json["correlationId"] == "sdk-1"

    assert ok(api.get_order_by_id(order_id))["orderStatus"] == "PENDING"
    ok(api.modify_order(order_id, api.LIMIT, "ENTRY_LEG", 6, dhan.ltp - 2, 0, 0, api.DAY))
    book = {o["orderId"]: o for o in ok(api.get_order_list())}
    assert book[order_id]["quantity"] == 6 and book[order_id]["price"] == dhan.ltp - 2
    assert "112111182045" in book     # the recorded orders are there too
    assert ok(api.get_order_by_correlationID("sdk-1"))["orderId"] == order_id

    assert ok(api.cancel_order(order_id))["orderStatus"] == "CANCELLED"
    refused = api.cancel_order(order_id)
    assert refused["status"] == "failure" and refused["remarks"]["error_code"] == "DH-906"


def test_market_order_fills_and_reaches_trades_and_positions(api, dhan):
    dhan.live_positions = True
    placed = ok(api.place_order(security_id="1333", exchange_segment=api.NSE, transaction_type=api.BUY, quantity=3,
                                order_type=api.MARKET, product_type=api.INTRA, price=0))
    assert placed["orderStatus"] == "TRADED"
    assert [t["tradedPrice"] for t in ok(api.get_trade_book(placed["orderId"]))] == [dhan.ltp]
    assert placed["orderId"] in {t["orderId"] for t in ok(api.get_trade_book())}
    position = ok(api.get_positions())[0]
    assert (position["securityId"], position["netQty"], position["positionType"]) == ("1333", 3, "LONG")


def test_slicing_and_the_freeze_limit(api, dhan):
    args = dict(security_id="43120", exchange_segment=api.NSE_FNO, transaction_type=api.BUY,
                quantity=dhan.freeze_quantity * 2 + 75, order_type=api.LIMIT, product_type=api.MARGIN, price=120.5)
    refused = api.place_order(**args)
    assert refused["status"] == "failure" and refused["remarks"]["error_code"] == "DH-905"
    slices = ok(api.place_slice_order(**args))
    assert len(slices) == 3
    quantities = sorted(dhan.orders[s["orderId"]]["quantity"] for s in slices)
    assert quantities == [75, dhan.freeze_quantity, dhan.freeze_quantity]


def test_bad_order_fields_are_refused_with_dh905(api):
    answer = api.place_order(security_id="1333", exchange_segment=api.NSE, transaction_type=api.BUY, quantity=1,
                             order_type=api.LIMIT, product_type=api.CNC, price=0)
    assert answer["remarks"]["error_code"] == "DH-905" and "price" in answer["remarks"]["error_message"]
    answer = api.place_order(security_id="999999", exchange_segment=api.NSE, transaction_type=api.BUY, quantity=1,
                             order_type=api.MARKET, product_type=api.CNC, price=0)
    assert answer["remarks"]["error_code"] == "DH-906"


def test_portfolio_funds_and_margin(api):
    holdings = ok(api.get_holdings())
    assert {h["tradingSymbol"] for h in holdings} == {"HDFCBANK", "TCS"}
    assert ok(api.get_positions())[0]["netQty"] == -75
    assert ok(api.get_fund_limits())["availabelBalance"] == 98440.0     # Dhan's own spelling
    margin = ok(api.margin_calculator("1333", api.NSE, api.BUY, 10, api.CNC, 1428.0))
    assert margin["totalMargin"] == 5600.0 and margin["leverage"] == "4.00"


def test_market_quotes_by_segment_and_security_id(api, dhan):
    ltp = ok(api.ticker_data({"NSE_EQ": [1333, 999999], "NSE_FNO": [43120]}))
    assert ltp["status"] == "success"           # the one wrapped answer: it is on the wire
    assert ltp["data"]["NSE_EQ"] == {"1333": {"last_price": dhan.ltp}}
    assert "43120" in ltp["data"]["NSE_FNO"]
    ohlc = ok(api.ohlc_data({"NSE_EQ": [1333]}))["data"]["NSE_EQ"]["1333"]
    assert ohlc["ohlc"]["high"] > ohlc["last_price"] > ohlc["ohlc"]["low"]
    quote = ok(api.quote_data({"NSE_FNO": [43120]}))["data"]["NSE_FNO"]["43120"]
    assert len(quote["depth"]["buy"]) == len(quote["depth"]["sell"]) == 5
    assert quote["depth"]["buy"][0]["price"] < quote["last_price"] < quote["depth"]["sell"][0]["price"]


def test_daily_and_intraday_charts_come_as_column_arrays(api):
    today = datetime.now(IST).date()
    daily = ok(api.historical_daily_data("1333", "NSE_EQ", "EQUITY", str(today - timedelta(days=14)), str(today)))
    assert set(daily) == {"open", "high", "low", "close", "volume", "timestamp"}
    assert len(daily["open"]) == len(daily["timestamp"]) >= 8
    assert daily["timestamp"] == sorted(daily["timestamp"])
    start = datetime.combine(today - timedelta(days=6), datetime.min.time())
    intraday = ok(api.intraday_minute_data("1333", "NSE_EQ", "EQUITY", start.strftime("%Y-%m-%d %H:%M:%S"),
                                           (start + timedelta(days=6)).strftime("%Y-%m-%d %H:%M:%S"), interval=5))
    gaps = {b - a for a, b in zip(intraday["timestamp"], intraday["timestamp"][1:])}
    assert 300 in gaps
    too_long = api.intraday_minute_data("1333", "NSE_EQ", "EQUITY", "2024-01-01 09:15:00", "2024-06-01 15:30:00")
    assert too_long["remarks"]["error_code"] == "DH-905"


def test_forever_orders(api):
    placed = ok(api.place_forever("1333", api.NSE, api.BUY, api.CNC, api.LIMIT, 10, 1400.0, 1401.0))
    order_id = placed["orderId"]
    ok(api.modify_forever(order_id, "SINGLE", api.LIMIT, "TARGET_LEG", 12, 1395.0, 1396.0, 0, api.DAY))
    rows = [r for r in ok(api.get_forever()) if r["orderId"] == order_id]
    assert [(r["quantity"], r["price"], r["triggerPrice"]) for r in rows] == [(12, 1395.0, 1396.0)]
    oco = ok(api.place_forever("11536", api.NSE, api.SELL, api.CNC, api.LIMIT, 3, 4200.0, 4195.0, order_flag="OCO",
                               price1=3500.0, trigger_Price1=3505.0, quantity1=3))
    legs = [r["legName"] for r in ok(api.get_forever()) if r["orderId"] == oco["orderId"]]
    assert legs == ["TARGET_LEG", "STOP_LOSS_LEG"]
    assert ok(api.cancel_forever(order_id))["orderStatus"] == "CANCELLED"


def test_expired_token_and_failure_modes(api, dhan):
    dhan.fail_next(429)
    throttled = api.get_order_list()
    assert throttled["status"] == "failure" and throttled["remarks"]["error_code"] == "DH-904"
    dhan.malformed_next()
    assert api.get_holdings()["status"] == "failure"
    dhan.expire_token()
    expired = api.get_fund_limits()
    assert expired["remarks"] == {"error_code": "DH-901", "error_type": "Invalid_Authentication",
                                  "error_message": "Client ID or user generated access token is invalid or expired."}


def test_login_flows_and_scrip_master(dhan, monkeypatch, tmp_path):
    monkeypatch.setattr(DhanLogin, "AUTH_BASE_URL", dhan.root)
    monkeypatch.setattr(DhanLogin, "API_BASE_URL", dhan.url)
    monkeypatch.setattr(sdk_auth.webbrowser, "open", lambda url: True)     # no browser in CI
    login = DhanLogin(CLIENT_ID)
    assert login.generate_login_session(APP_ID, APP_SECRET) == "consent-app-1"
    consumed = login.consume_token_id("token-id-1", APP_ID, APP_SECRET)
    assert consumed["accessToken"] == ACCESS_TOKEN and consumed["dhanClientId"] == CLIENT_ID
    assert login.generate_token(PIN, TOTP)["accessToken"] == ACCESS_TOKEN
    assert login.user_profile(ACCESS_TOKEN)["dhanClientId"] == CLIENT_ID
    assert "expiryTime" in login.renew_token(ACCESS_TOKEN)

    monkeypatch.setattr(Security, "COMPACT_CSV_URL", dhan.scrip_master_url)
    frame = Security.fetch_security_list("compact", filename=str(tmp_path / "scrips.csv"))
    assert frame is not None and "SEM_SMST_SECURITY_ID" in frame.columns and len(frame) == 30


def test_market_feed_receives_binary_packets(dhan_feed, monkeypatch):
    """The SDK's MarketFeed (v2: JSON subscribe, binary answers) against the fake feed."""
    monkeypatch.setattr(MarketFeed, "market_feed_wss", dhan_feed.url)
    seen: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            feed = MarketFeed(DhanContext(CLIENT_ID, ACCESS_TOKEN),
                              [(MarketFeed.NSE, "1333", MarketFeed.Quote), (MarketFeed.NSE_FNO, "43120", MarketFeed.Full),
                               (MarketFeed.IDX, "13", MarketFeed.Ticker)], version="v2")
            feed.run_forever()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and {"Quote Data", "Full Data", "Ticker Data"} - {
                    p.get("type") for p in seen if isinstance(p, dict)}:
                seen.append(feed.get_data())
            feed.close_connection()
        except BaseException as exc:   # surfaced below
            errors.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(20)
    assert not errors, errors
    packets = [p for p in seen if isinstance(p, dict)]
    by_type = {p["type"]: p for p in packets}
    assert {"Quote Data", "Full Data", "Ticker Data", "Previous Close"} <= set(by_type)
    full = by_type["Full Data"]
    assert (full["exchange_segment"], full["security_id"], full["OI"]) == (2, 43120, 5612300)
    assert float(full["depth"][0]["bid_price"]) < float(full["LTP"]) < float(full["depth"][0]["ask_price"])
    assert by_type["Quote Data"]["security_id"] == 1333 and by_type["Ticker Data"]["security_id"] == 13
    assert dhan_feed.messages[0]["InstrumentList"][0]["ExchangeSegment"] in ("NSE_EQ", "NSE_FNO", "IDX_I")


def test_market_feed_refuses_a_wrong_token(dhan_feed, monkeypatch):
    monkeypatch.setattr(MarketFeed, "market_feed_wss", dhan_feed.url)
    closed: list[bool] = []

    def run() -> None:
        feed = MarketFeed(DhanContext(CLIENT_ID, "not-the-token"), [(MarketFeed.NSE, "1333", MarketFeed.Ticker)],
                          version="v2", on_close=lambda _feed: closed.append(True))
        feed.run_forever()
        feed.get_data()      # the disconnect packet (code 50, reason 809)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(10)
    assert closed == [True]
    assert dhan_feed.accepted == 0


def test_order_update_stream(api, dhan, order_updates):
    received: list[dict[str, Any]] = []
    stream = OrderUpdate(DhanContext(CLIENT_ID, ACCESS_TOKEN))
    stream.order_feed_wss = order_updates.url
    stream.on_update = received.append
    threading.Thread(target=stream.connect_to_dhan_websocket_sync, daemon=True).start()
    deadline = time.monotonic() + 10
    while order_updates.listeners == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    placed = ok(api.place_order(security_id="1333", exchange_segment=api.NSE, transaction_type=api.BUY, quantity=2,
                                order_type=api.MARKET, product_type=api.CNC, price=0))
    while not received and time.monotonic() < deadline:
        time.sleep(0.02)
    assert order_updates.logins[0]["LoginReq"] == {"MsgCode": 42, "ClientId": CLIENT_ID, "Token": ACCESS_TOKEN}
    alert = received[0]
    assert alert["Type"] == "order_alert"
    assert (alert["Data"]["OrderNo"], alert["Data"]["Status"], alert["Data"]["TradedQty"]) == (
        placed["orderId"], "TRADED", 2)
