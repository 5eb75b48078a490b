"""`POST /api/v1/pnl/symbols` and the sandbox P&L report page (/reports/pnl): today's P&L per symbol,
the day-by-day history recorded at each day rollover, the chart's data and the CSV downloads; per user."""
from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta

import pytest

from broker.paper.calendar import IST
from services import paper_account
from tests.dashboard.conftest import Browser, signed_in
from tests.paper.conftest import Clock
from tests.security.conftest import FAST_HASHER, login

pytestmark = pytest.mark.dates  # the day and time matter: ./test.sh reruns it under shifted clocks


@pytest.fixture
def clock(dash_app) -> Clock:
    """The app's clock stopped at 10:00 IST of a trading day: the prices compared across calls hold still."""
    frozen = Clock()
    dash_app.config["OPENALGO_CLOCK"] = frozen
    return frozen


@pytest.fixture
def trader(clock, dash_app) -> Browser:
    return signed_in(dash_app)


def _order(browser: Browser, action: str, quantity: int, symbol: str = "SBIN", product: str = "MIS") -> None:
    response = browser.api("placeorder", strategy="pnl", symbol=symbol, exchange="NSE", action=action,
                           pricetype="MARKET", product=product, quantity=quantity)
    assert response.status_code == 200, response.get_json()


def _analyze(browser: Browser) -> None:
    response = browser.api("analyzer/toggle", mode=True)
    assert response.status_code == 200 and response.get_json()["data"]["mode"] == "analyze"


def _pnl(browser: Browser) -> dict:
    response = browser.api("pnl/symbols")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _fills(browser: Browser, symbol: str) -> list[dict]:
    return [t for t in browser.api("tradebook").get_json()["data"] if t["symbol"] == symbol]


def _csv(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_day_pnl_per_symbol_in_analyzer_mode_matches_the_sandbox_books(trader: Browser):
    browser = trader
    _analyze(browser)
    _order(browser, "BUY", 10)
    _order(browser, "SELL", 4)
    _order(browser, "SELL", 3, symbol="INFY")          # a short
    body = _pnl(browser)
    assert body["status"] == "success" and body["mode"] == "analyze"
    rows = {row["symbol"]: row for row in body["data"]}
    sbin, infy = rows["SBIN"], rows["INFY"]
    fills = _fills(browser, "SBIN")
    bought = next(t for t in fills if t["action"] == "BUY")
    sold = next(t for t in fills if t["action"] == "SELL")
    assert (sbin["quantity"], sbin["buy_quantity"], sbin["sell_quantity"]) == (6, 10, 4)
    assert sbin["buy_average"] == bought["average_price"] and sbin["sell_average"] == sold["average_price"]
    assert sbin["today_realized_pnl"] == pytest.approx(4 * (sold["average_price"] - bought["average_price"]), abs=0.01)
    assert sbin["unrealized_pnl"] == pytest.approx(6 * (sbin["ltp"] - sbin["average_price"]), abs=0.06)
    assert (infy["quantity"], infy["sell_quantity"], infy["today_realized_pnl"]) == (-3, 3, 0.0)
    assert infy["unrealized_pnl"] == pytest.approx(-3 * (infy["ltp"] - infy["average_price"]), abs=0.06)
    for row in body["data"]:
        assert row["pnl"] == row["total_pnl_today"] == pytest.approx(row["today_realized_pnl"] + row["unrealized_pnl"],
                                                                     abs=0.01)
    assert body["total_pnl_today"] == body["total_pnl"] == pytest.approx(sum(r["pnl"] for r in body["data"]), abs=0.02)
    assert body["total_today_realized_pnl"] == pytest.approx(sbin["today_realized_pnl"], abs=0.01)
    # the same numbers the sandbox's position book and funds show
    positions = {p["symbol"]: p for p in browser.api("positionbook").get_json()["data"]}
    assert positions["SBIN"]["pnl"] == pytest.approx(sbin["pnl"], abs=0.06)
    funds = browser.api("funds").get_json()["data"]
    assert funds["m2mrealized"] == pytest.approx(body["total_today_realized_pnl"], abs=0.01)


def test_live_mode_answers_from_the_live_brokers_books(browser: Browser):
    _order(browser, "BUY", 2)          # live mode: the connected broker (paper in this app)
    body = _pnl(browser)
    assert body["mode"] == "live"
    assert [(r["symbol"], r["quantity"], r["buy_quantity"]) for r in body["data"]] == [("SBIN", 2, 2)]


def test_each_user_sees_only_their_own_pnl(dash_app):
    alice, bob = signed_in(dash_app, "alice"), signed_in(dash_app, "bob")
    for user in (alice, bob):
        _analyze(user)
    _order(alice, "BUY", 5)
    assert [r["symbol"] for r in _pnl(alice)["data"]] == ["SBIN"]
    empty = _pnl(bob)
    assert empty["data"] == [] and empty["total_pnl"] == 0.0
    assert 'data-symbol="SBIN"' not in bob.client.get("/reports/pnl").get_data(as_text=True)
    assert _csv(bob.client.get("/reports/pnl/today.csv")) == []


@pytest.mark.parametrize("body, status, field", [
    ({}, 400, "apikey"), ({"apikey": 12345}, 400, "apikey"), ({"apikey": "not-a-key"}, 403, None),
])
def test_bad_requests_name_the_field(browser: Browser, body, status, field):
    response = browser.client.post("/api/v1/pnl/symbols", json=body)
    assert response.status_code == status
    assert response.get_json()["status"] == "error"
    if field:
        assert field in response.get_json()["message"]


@pytest.mark.parametrize("data, content_type, says", [
    ("apikey=x", "text/plain", ""), ("{broken", "application/json", "Invalid JSON body"),
    ("[1, 2]", "application/json", "apikey"), ('{"apikey": ""}', "application/json", "apikey"),
])
def test_a_body_that_is_not_a_json_object_with_a_key_is_a_400(browser: Browser, data, content_type, says):
    response = browser.client.post("/api/v1/pnl/symbols", data=data, content_type=content_type)
    assert response.status_code == 400 and response.get_json()["status"] == "error"
    assert says in response.get_json()["message"]


def test_the_page_shows_today_history_chart_data_and_exports(trader: Browser):
    browser = trader
    _analyze(browser)
    _order(browser, "BUY", 10)
    _order(browser, "SELL", 10)
    api = _pnl(browser)
    page = browser.client.get("/reports/pnl")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-symbol="SBIN"' in html and 'id="history-chart"' in html and "Sandbox P&amp;L" in html
    assert 'href="/reports/pnl"' in browser.client.get("/dashboard").get_data(as_text=True)   # in the navigation
    today = _csv(browser.client.get("/reports/pnl/today.csv"))
    assert [(r["symbol"], r["buy_quantity"], r["sell_quantity"], r["quantity"]) for r in today] == [("SBIN", "10", "10", "0")]
    assert float(today[0]["today_realized_pnl"]) == pytest.approx(api["data"][0]["today_realized_pnl"])
    history = _csv(browser.client.get("/reports/pnl/history.csv?days=7"))
    assert len(history) == 1 and float(history[0]["total_pnl"]) == pytest.approx(api["total_pnl_today"])
    data = browser.get_json("/reports/pnl/data")
    assert data["days"][-1]["total_pnl"] == pytest.approx(api["total_pnl_today"])


def test_the_page_needs_a_login_and_a_sane_span(browser: Browser, dash_app):
    assert dash_app.test_client().get("/reports/pnl").status_code == 302
    assert dash_app.test_client().get("/reports/pnl/today.csv").status_code == 302
    bad = browser.client.get("/reports/pnl?days=0")
    assert bad.status_code == 400 and "days must be a whole number from 1 to 366" in bad.get_data(as_text=True)
    feed = browser.client.get("/reports/pnl/history.csv?days=many")
    assert feed.status_code == 400 and feed.get_json()["errors"] == {"days": ["days must be a whole number from 1 to 366"]}
    detail = browser.client.get("/reports/pnl/history.csv?detail=trades")
    assert detail.status_code == 400
    assert detail.get_json()["errors"] == {"detail": ["detail must be one of days, symbols (default days)"]}


def test_a_day_is_recorded_once_at_the_rollover_and_shown_in_the_history(trader: Browser, clock: Clock):
    browser = trader
    _analyze(browser)
    _order(browser, "BUY", 10, product="CNC")          # CNC: no intraday square-off moves it overnight
    _order(browser, "SELL", 4, product="CNC")
    day_one = _pnl(browser)
    first_day = clock.at.date()
    clock.at = datetime.combine(first_day + timedelta(days=1), time(10, 0), IST)
    assert login(browser.client, "trader").status_code == 302    # the web session expired overnight
    [held] = _pnl(browser)["data"]                     # a new day: the CNC buy settled into holdings
    _pnl(browser)                                      # a second engine call must not record the day again
    detail = _csv(browser.client.get("/reports/pnl/history.csv?detail=symbols&days=30"))
    assert [(r["date"], r["symbol"], r["product"]) for r in detail] == [(first_day.isoformat(), "SBIN", "CNC")]
    row = detail[0]
    assert (float(row["quantity"]), float(row["buy_quantity"]), float(row["sell_quantity"])) == (6, 10, 4)
    assert float(row["realized_pnl"]) == pytest.approx(day_one["total_today_realized_pnl"], abs=0.01)
    # the open 6 are marked to the first day's closing price
    assert float(row["unrealized_pnl"]) == pytest.approx(
        6 * (float(row["close_price"]) - float(row["average_price"])), abs=0.01)
    days = browser.get_json("/reports/pnl/data?days=30")["days"]
    assert [d["date"] for d in days] == [first_day.isoformat(), clock.at.date().isoformat()]
    assert days[0]["total_pnl"] == pytest.approx(float(row["realized_pnl"]) + float(row["unrealized_pnl"]), abs=0.01)
    assert days[1]["cumulative_pnl"] == pytest.approx(days[0]["total_pnl"] + days[1]["total_pnl"], abs=0.01)
    # the holding's day P&L counts from the close the first day was marked to, not from its price
    close = float(row["close_price"])
    assert (held["symbol"], held["product"], held["quantity"], held["buy_quantity"]) == ("SBIN", "CNC", 6, 0)
    assert held["pnl"] == pytest.approx(6 * (held["ltp"] - close), abs=0.06) == days[1]["total_pnl"]
    _order(browser, "SELL", 2, product="CNC")          # from yesterday's CNC buy, now a holding
    [sale] = _pnl(browser)["data"]
    [sold] = [t for t in _fills(browser, "SBIN") if t["action"] == "SELL"]     # today's book: this sale
    assert (sale["quantity"], sale["sell_quantity"]) == (4, 2)
    assert sale["today_realized_pnl"] == pytest.approx(2 * (sold["average_price"] - close), abs=0.01)
    assert sale["unrealized_pnl"] == pytest.approx(4 * (sale["ltp"] - close), abs=0.06)


def test_a_carried_futures_short_reports_the_next_days_pnl_from_the_previous_close(trader: Browser, clock: Clock):
    _analyze(trader)
    with trader.app.app_context():
        futures = [row for row in paper_account.paper_engine(trader.user_id).catalog().rows
                   if row.symbol.startswith("NIFTY") and row.kind == "future"]
    future = max(futures, key=lambda row: row.expiry_epoch)     # the far month: no expiry during the test
    response = trader.api("placeorder", strategy="pnl", symbol=future.symbol, exchange="NFO", action="SELL",
                          pricetype="MARKET", product="NRML", quantity=future.lotsize)
    assert response.status_code == 200, response.get_json()
    first_day = clock.at.date()
    clock.at = datetime.combine(first_day + timedelta(days=1), time(10, 0), IST)
    [today] = _pnl(trader)["data"]
    assert login(trader.client, "trader").status_code == 302    # the web session expired overnight
    [recorded] = _csv(trader.client.get("/reports/pnl/history.csv?detail=symbols"))
    previous_close = float(recorded["close_price"])
    assert today["quantity"] == -future.lotsize and today["today_realized_pnl"] == 0.0
    # today's P&L runs from the previous close (the one the first day was recorded at), not from the entry
    assert today["total_pnl_today"] == pytest.approx(-future.lotsize * (today["ltp"] - previous_close), abs=0.5)
    days = trader.get_json("/reports/pnl/data")["days"]
    assert days[-1]["cumulative_pnl"] == pytest.approx(
        -future.lotsize * (today["ltp"] - today["average_price"]), abs=0.5)   # the short's whole P&L so far


def test_without_a_broker_live_mode_says_so_and_the_sandbox_still_reports(dash_app):
    browser = signed_in(dash_app, "newcomer", connect=False)
    refused = browser.api("pnl/symbols")
    assert refused.status_code == 403 and "No broker is connected" in refused.get_json()["message"]
    assert browser.client.get("/reports/pnl").status_code == 200      # the sandbox needs no broker
    _analyze(browser)
    _order(browser, "BUY", 1)
    assert [r["symbol"] for r in _pnl(browser)["data"]] == ["SBIN"]


def test_simulated_charges_are_shown_beside_the_pnl_and_netted_in_the_history(make_app):
    app = make_app(PASSWORD_HASHER=FAST_HASHER, ORDER_RATE_LIMIT="1000 per second", API_RATE_LIMIT="1000 per second",
                   PAPER_CHARGES="true")
    app.config["OPENALGO_CLOCK"] = Clock()
    browser = signed_in(app)
    _analyze(browser)
    _order(browser, "BUY", 20)
    _order(browser, "SELL", 20)
    body = _pnl(browser)
    [row] = body["data"]
    with app.app_context():
        charged = paper_account.funds(browser.user_id).raw["charges_today"]    # what the account paid
    assert row["charges"] > 0 and body["total_charges"] == pytest.approx(charged, abs=0.01)
    assert row["pnl"] == pytest.approx(row["today_realized_pnl"], abs=0.01)     # charges are not in the P&L
    [today] = browser.get_json("/reports/pnl/data")["days"]
    assert today["net_pnl"] == pytest.approx(today["total_pnl"] - body["total_charges"], abs=0.01)


def test_a_reset_from_the_dashboard_clears_the_history_and_says_so(trader: Browser, clock: Clock):
    browser = trader
    _analyze(browser)
    _order(browser, "BUY", 10, product="CNC")
    clock.at = datetime.combine(clock.at.date() + timedelta(days=1), time(10, 0), IST)
    assert login(browser.client, "trader").status_code == 302    # the web session expired overnight
    assert len(browser.get_json("/reports/pnl/data")["days"]) == 2   # the first day and today
    page = browser.client.get("/analyzer").get_data(as_text=True)
    assert "the P&amp;L history is cleared" in page                 # the confirmation says what goes
    assert browser.post_form("/analyzer/reset", capital="500000").status_code == 302
    [today] = browser.get_json("/reports/pnl/data")["days"]          # a new account: only today, empty
    assert today["date"] == clock.at.date().isoformat() and today["total_pnl"] == 0.0 and today["symbols"] == 0
    assert _csv(browser.client.get("/reports/pnl/history.csv?detail=symbols")) == []


def test_idle_days_with_a_holding_are_in_the_history(trader: Browser, clock: Clock):
    browser = trader
    _analyze(browser)
    _order(browser, "BUY", 10, product="CNC")
    first_day = clock.at.date()
    clock.at += timedelta(days=3)                      # no order, no visit for three days
    assert login(browser.client, "trader").status_code == 302
    with browser.app.app_context():
        engine = paper_account.paper_engine(browser.user_id)
        inst = engine.lookup("SBIN", "NSE")
        closes = [engine.market.close_before(inst, datetime.combine(first_day + timedelta(days=n), time(0, 0), IST),
                                             clock.at) for n in range(1, 4)]
    # each day the holding's mark moved is listed (the simulated market moves every day), today last
    moved = [first_day] + [first_day + timedelta(days=n) for n in (1, 2) if closes[n] != closes[n - 1]]
    days = browser.get_json("/reports/pnl/data")["days"]
    assert [d["date"] for d in days] == [day.isoformat() for day in moved] + [clock.at.date().isoformat()]
    by_date = {d["date"]: d for d in days}
    for n in (1, 2):
        day = (first_day + timedelta(days=n)).isoformat()
        if day in by_date:
            assert by_date[day]["total_pnl"] == pytest.approx(10 * (closes[n] - closes[n - 1]), abs=0.01)
            assert by_date[day]["symbols"] == 1
    [held] = _pnl(browser)["data"]
    assert days[-1]["cumulative_pnl"] == pytest.approx(10 * (held["ltp"] - held["average_price"]), abs=0.1)
