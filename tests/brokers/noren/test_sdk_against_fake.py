"""The fake Noren OMS is faithful: the official `NorenRestApiPy` SDK (PyPI, a dev dependency) drives it.

The SDK is pointed at the fake through its constructor's `host` and `websocket` arguments only (the way
Shoonya and Flattrade users configure it), so nothing of ours is patched. It answers None for any
refusal, which is why the refusals below are checked on the fake's recorded calls.
"""
from __future__ import annotations

import hashlib
import threading
import time

import pytest

from NorenRestApiPy.NorenApi import NorenApi   # dev dependency (requirements-dev.txt)

from tests.fakes.noren.server import (API_SECRET, FLATTRADE_API_KEY, FLATTRADE_API_SECRET, PASSWORD,
                                      REQUEST_CODE, TOTP, USER_ID, VENDOR_CODE, sha256)


@pytest.fixture
def api(noren):
    sdk = NorenApi(host=noren.api_url, websocket=noren.feed.url)
    answer = sdk.login(userid=USER_ID, password=PASSWORD, twoFA=TOTP, vendor_code=VENDOR_CODE,
                       api_secret=API_SECRET, imei="abc1234")
    assert answer["stat"] == "Ok" and answer["susertoken"] == noren.session_token
    yield sdk


def test_login_sends_the_documented_hashes_and_refuses_a_wrong_password(noren, api):
    sent = noren.calls_to("QuickAuth")[-1]
    assert sent.path.replace("//", "/") == "/NorenWClientTP/QuickAuth" and sent.jkey is None
    assert sent.jdata["pwd"] == hashlib.sha256(PASSWORD.encode()).hexdigest()
    assert sent.jdata["appkey"] == hashlib.sha256(f"{USER_ID}|{API_SECRET}".encode()).hexdigest()
    assert sent.jdata["factor2"] == TOTP and sent.jdata["vc"] == VENDOR_CODE
    assert PASSWORD not in sent.raw and API_SECRET not in sent.raw
    other = NorenApi(host=noren.api_url, websocket=noren.feed.url)
    assert other.login(userid=USER_ID, password="wrong", twoFA=TOTP, vendor_code=VENDOR_CODE,
                       api_secret=API_SECRET, imei="abc1234") is None


def test_order_lifecycle_place_book_modify_cancel(noren, api):
    lp = float(api.get_quotes(exchange="NSE", token="22")["lp"])
    placed = api.place_order(buy_or_sell="B", product_type="C", exchange="NSE", tradingsymbol="ACC-EQ",
                             quantity=2, discloseqty=0, price_type="LMT", price=round(lp - 10, 2),
                             retention="DAY", remarks="sdk-1")
    number = placed["norenordno"]
    sent = noren.calls_to("PlaceOrder")[-1]
    assert sent.jkey == noren.session_token and sent.jdata["uid"] == USER_ID and sent.jdata["prd"] == "C"
    book = {o["norenordno"]: o for o in api.get_order_book()}
    assert book[number]["status"] == "OPEN" and book[number]["remarks"] == "sdk-1"
    assert "22061400291198" in book                     # the recorded orders are there too

    modified = api.modify_order(orderno=number, exchange="NSE", tradingsymbol="ACC-EQ", newquantity=3,
                                newprice_type="LMT", newprice=round(lp - 11, 2))
    assert modified["result"] == number
    history = api.single_order_history(number)
    assert history[0]["qty"] == "3" and history[0]["prc"] == f"{lp - 11:.2f}"
    assert api.cancel_order(number)["result"] == number
    assert api.single_order_history(number)[0]["status"] == "CANCELED"
    assert api.cancel_order(number) is None


def test_a_market_order_fills_into_trades_and_positions(noren, api):
    lp = float(api.get_quotes(exchange="NSE", token="3045")["lp"])
    number = api.place_order(buy_or_sell="B", product_type="I", exchange="NSE", tradingsymbol="SBIN-EQ",
                             quantity=5, discloseqty=0, price_type="MKT", price=0)["norenordno"]
    fill = [t for t in api.get_trade_book() if t["norenordno"] == number]
    assert [(t["flqty"], float(t["flprc"])) for t in fill] == [("5", lp)]
    position = [p for p in api.get_positions() if p["tsym"] == "SBIN-EQ"][0]
    assert (position["netqty"], position["prd"], float(position["netavgprc"])) == ("5", "I", lp)


def test_refusals_come_back_as_not_ok(noren, api):
    assert api.place_order(buy_or_sell="X", product_type="C", exchange="NSE", tradingsymbol="ACC-EQ",
                           quantity=1, discloseqty=0, price_type="MKT") is None
    assert api.place_order(buy_or_sell="B", product_type="C", exchange="NSE", tradingsymbol="NOPE-EQ",
                           quantity=1, discloseqty=0, price_type="MKT") is None
    assert api.get_quotes(exchange="NSE", token="999999") is None
    noren.expire_token()
    assert api.get_order_book() is None
    assert api.get_limits()["emsg"].startswith("Session Expired")


def test_holdings_limits_quotes_and_search(noren, api):
    holding = api.get_holdings()[0]
    assert holding["exch_tsym"][0]["tsym"] == "ACC-EQ" and holding["npoadqty"] == "10"
    assert noren.calls_to("Holdings")[-1].jdata["prd"] == "C"
    limits = api.get_limits()
    assert limits["stat"] == "Ok" and float(limits["cash"]) > 0
    quote = api.get_quotes(exchange="NFO", token="35001")
    assert quote["tsym"] == noren.expiry.strftime("NIFTY%d%b%yF").upper() and float(quote["bp1"]) < float(quote["lp"]) < float(quote["sp1"])
    assert "RELIANCE-EQ" in [v["tsym"] for v in api.searchscrip(exchange="NSE", searchtext="REL")["values"]]


def test_span_calculator_sends_the_positions_the_fake_prices(noren, api):
    from NorenRestApiPy.NorenApi import position
    future = position()
    future.prd, future.exch, future.instname, future.symname = "M", "NFO", "FUTIDX", "NIFTY"
    future.exd, future.optt, future.strprc = noren.expiry.strftime("%d-%b-%Y").upper(), "XX", "-1"
    future.buyqty, future.sellqty, future.netqty = "0", "75", "-75"
    answer = api.span_calculator(USER_ID, [future])
    notional = 75 * noren.prices[("NFO", "35001")]
    assert answer["stat"] == "Ok" and float(answer["span"]) == round(notional * 0.1, 2)
    sent = noren.calls_to("SpanCalc")[-1]
    assert sent.jkey == noren.session_token and sent.jdata["pos"][0]["instname"] == "FUTIDX"


def test_time_price_series_and_daily_series(noren, api):
    end = time.time()
    start = end - 6 * 86400
    candles = api.get_time_price_series(exchange="NSE", token="22", starttime=start, endtime=end, interval=5)
    assert candles, "a six-day window always holds weekdays"
    stamps = [int(c["ssboe"]) for c in candles]
    assert stamps == sorted(stamps, reverse=True) and all(start <= s <= end for s in stamps)
    assert {s % 300 for s in stamps} == {0}
    sent = noren.calls_to("TPSeries")[-1].jdata
    assert sent["intrv"] == "5" and float(sent["st"]) == pytest.approx(start)
    days = api.get_daily_price_series(exchange="NSE", tradingsymbol="ACC-EQ", startdate=start, enddate=end)
    assert days and all(isinstance(day, str) and '"intc"' in day for day in days)
    assert noren.calls_to("EODChartData")[-1].jdata["sym"] == "NSE:ACC-EQ"


def test_websocket_touchline_depth_and_order_updates(noren, api):
    opened, ticks, orders = threading.Event(), [], []
    api.start_websocket(subscribe_callback=ticks.append, order_update_callback=orders.append,
                        socket_open_callback=opened.set)
    try:
        assert opened.wait(5), "the fake answers t:c with ck OK"
        login = noren.feed.logins[-1]
        assert (login["t"], login["uid"], login["susertoken"]) == ("c", USER_ID, noren.session_token)
        api.subscribe(["NSE|22", "NFO|35001"])
        api.subscribe("NSE|3045", feed_type="d")
        api.subscribe_orders()
        deadline = time.time() + 5
        while time.time() < deadline and not {"tk", "tf", "dk", "df"} <= {t["t"] for t in ticks}:
            time.sleep(0.05)
        kinds = {t["t"] for t in ticks}
        assert {"tk", "tf", "dk", "df"} <= kinds
        first = next(t for t in ticks if t["t"] == "tk" and t["tk"] == "22")
        assert first["ts"] == "ACC-EQ" and float(first["lp"]) > 0
        depth = next(t for t in ticks if t["t"] == "df")
        assert all(f"bp{n}" in depth and f"sq{n}" in depth for n in range(1, 6))
        while time.time() < deadline and {"t": "o", "actid": USER_ID} not in noren.feed.received:
            time.sleep(0.05)
        number = api.place_order(buy_or_sell="S", product_type="I", exchange="NSE", tradingsymbol="ACC-EQ",
                                 quantity=1, discloseqty=0, price_type="MKT")["norenordno"]
        while time.time() < deadline and not any(o["norenordno"] == number for o in orders):
            time.sleep(0.05)
        update = [o for o in orders if o["norenordno"] == number][-1]
        assert (update["t"], update["status"], update["trantype"], update["pcode"]) == ("om", "COMPLETE", "S", "I")
    finally:
        api.close_websocket()


def test_a_refused_session_gets_ck_not_ok(noren, api):
    errors = []
    noren.expire_token()
    api.start_websocket(socket_error_callback=errors.append)
    try:
        deadline = time.time() + 5
        while time.time() < deadline and not errors:
            time.sleep(0.05)
        assert errors and errors[0] == {"t": "ck", "s": "Not_Ok", "uid": USER_ID}
    finally:
        api.close_websocket()


def test_flattrade_token_exchange_with_its_sha256_secret(noren):
    import requests
    login = requests.get(f"{noren.url}/auth/", params={"app_key": FLATTRADE_API_KEY,
                                                     "redirect_url": "http://localhost:5000/flattrade/callback"},
                         allow_redirects=False, timeout=5)
    assert login.status_code == 302 and f"code={REQUEST_CODE}" in login.headers["Location"]
    refused = requests.post(f"{noren.url}/trade/apitoken", timeout=5, json={
        "api_key": FLATTRADE_API_KEY, "request_code": REQUEST_CODE, "api_secret": FLATTRADE_API_SECRET})
    assert refused.json()["stat"] == "Not_Ok"
    answer = requests.post(f"{noren.url}/trade/apitoken", timeout=5, json={
        "api_key": FLATTRADE_API_KEY, "request_code": REQUEST_CODE,
        "api_secret": sha256(FLATTRADE_API_KEY + REQUEST_CODE + FLATTRADE_API_SECRET)}).json()
    assert (answer["stat"], answer["client"], answer["token"]) == ("Ok", USER_ID, noren.session_token)
    # the Flattrade SDK set-up: NorenApi on /PiConnectTP/ with the exchanged token
    sdk = NorenApi(host=f"{noren.url}/PiConnectTP/", websocket=noren.feed.url)
    sdk.set_session(userid=USER_ID, password="", usertoken=answer["token"])
    assert sdk.get_limits()["stat"] == "Ok"
    assert noren.calls_to("Limits")[-1].path.replace("//", "/") == "/PiConnectTP/Limits"
