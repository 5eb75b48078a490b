"""The books pages' feeds and actions: statistics, filters, CSV, cancel / modify / cancel all / close,
each through the same services as the API (journaled), each needing the CSRF token."""
from __future__ import annotations

import csv
import io

import pytest

from database.journal import entries_for_user
from tests.dashboard.conftest import Browser, read_stream
from tests.support.prices import resting_buy

pytestmark = pytest.mark.dates  # the day and time matter: ./test.sh reruns it under shifted clocks

MARKET = {"exchange": "NSE", "action": "BUY", "pricetype": "MARKET", "product": "MIS", "quantity": 2}


def _place(browser: Browser, strategy: str, **order) -> str:
    response = browser.api("placeorder", strategy=strategy, **order)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["orderid"]


def _resting(browser: Browser, below: float = 0.97) -> dict:
    """A BUY LIMIT on SBIN priced from the current quote, under the market: it stays open."""
    quote = browser.api("quotes", symbol="SBIN", exchange="NSE")
    assert quote.status_code == 200, quote.get_json()
    return {"symbol": "SBIN", "exchange": "NSE", "action": "BUY", "pricetype": "LIMIT", "product": "MIS",
            "quantity": 1, "price": resting_buy(quote.get_json()["data"]["ltp"], below=below)}


def test_orderbook_feed_has_stats_strategy_and_filters(browser: Browser):
    resting = _place(browser, "alpha", **_resting(browser))
    filled = _place(browser, "beta", symbol="INFY", **MARKET)
    data = browser.get_json("/orderbook/data")["data"]
    assert data["statistics"]["total_open_orders"] == 1 and data["statistics"]["total_completed_orders"] == 1
    by_id = {row["orderid"]: row for row in data["rows"]}
    assert by_id[resting]["strategy"] == "alpha" and by_id[filled]["strategy"] == "beta"
    assert [r["orderid"] for r in browser.get_json("/orderbook/data?status=open")["data"]["rows"]] == [resting]
    assert [r["orderid"] for r in browser.get_json("/orderbook/data?strategy=BETA")["data"]["rows"]] == [filled]
    only = browser.get_json("/orderbook/data?symbol=inf")["data"]
    assert [r["symbol"] for r in only["rows"]] == ["INFY"] and only["total"] == 2


def test_csv_export_matches_the_filter_and_defuses_formulas(browser: Browser):
    _place(browser, "=HYPERLINK(1)", **_resting(browser))
    _place(browser, "other", symbol="INFY", **MARKET)
    response = browser.client.get("/orderbook/export.csv?symbol=SBIN")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["symbol"] for r in rows] == ["SBIN"] and rows[0]["strategy"] == "'=HYPERLINK(1)"
    trades = list(csv.DictReader(io.StringIO(browser.client.get("/tradebook/export.csv").get_data(as_text=True))))
    assert [(t["symbol"], t["strategy"]) for t in trades] == [("INFY", "other")]


def test_cancel_and_modify_from_the_page_are_journaled_and_need_csrf(browser: Browser):
    limit = _resting(browser)
    orderid = _place(browser, "alpha", **limit)
    assert browser.client.post("/orders/cancel", json={"orderid": orderid}).status_code == 400  # no CSRF token
    new_price = round(limit["price"] + 5 * 0.05, 2)
    modified = browser.post_json("/orders/modify", {"orderid": orderid, "symbol": "SBIN", "exchange": "NSE",
                                                    "action": "BUY", "product": "MIS", "pricetype": "LIMIT",
                                                    "quantity": 3, "price": new_price, "trigger_price": 0,
                                                    "disclosed_quantity": 0})
    assert modified.status_code == 200, modified.get_json()
    row = next(r for r in browser.get_json("/orderbook/data")["data"]["rows"] if r["orderid"] == orderid)
    assert (row["quantity"], row["price"]) == (3, new_price)
    assert browser.post_json("/orders/cancel", {"orderid": orderid}).get_json() == {"status": "success",
                                                                                     "orderid": orderid}
    assert browser.get_json("/orderbook/data?status=cancelled")["data"]["rows"][0]["orderid"] == orderid
    with browser.app.app_context():
        actions = [e.action for e in entries_for_user(browser.user_id)]
    assert actions[:3] == ["cancelorder", "modifyorder", "placeorder"]


def test_bad_action_input_names_the_field(browser: Browser):
    response = browser.post_json("/orders/modify", {"orderid": "1", "symbol": "SBIN", "exchange": "XX"})
    assert response.status_code == 400
    body = response.get_json()
    assert "exchange" in body["message"] and "quantity" in body["message"]


def test_cancel_all_and_close_positions(browser: Browser):
    _place(browser, "alpha", **_resting(browser))
    _place(browser, "alpha", **_resting(browser, below=0.96))
    result = browser.post_json("/orders/cancel-all").get_json()
    assert result["status"] == "success" and len(result["canceled_orders"]) == 2
    _place(browser, "beta", symbol="INFY", **MARKET)
    _place(browser, "beta", symbol="SBIN", **MARKET)
    closed = browser.post_json("/positions/close", {"symbol": "INFY", "exchange": "NSE", "product": "MIS"})
    assert closed.status_code == 200 and closed.get_json()["orderid"]
    open_rows = {r["symbol"]: r["quantity"] for r in browser.get_json("/positions/data")["data"]["rows"]}
    assert open_rows == {"INFY": 0, "SBIN": 2}
    assert browser.post_json("/positions/close-all").get_json()["closed_positions"] == 1
    assert all(r["quantity"] == 0 for r in browser.get_json("/positions/data")["data"]["rows"])


def test_books_without_a_broker_answer_with_the_reason(dash_app):
    from tests.dashboard.conftest import signed_in
    browser = signed_in(dash_app, connect=False)
    response = browser.client.get("/orderbook/data")
    assert response.status_code == 403 and "No broker is connected" in response.get_json()["message"]


def test_order_events_stream_pushes_new_journal_rows(dash_app):
    from tests.dashboard.conftest import signed_in
    dash_app.config["EVENTS_STREAM_SECONDS"] = 0.5
    browser = signed_in(dash_app)
    _place(browser, "old", **_resting(browser))  # before the page opened: not replayed
    response = browser.client.get("/events", buffered=False)
    assert response.mimetype == "text/event-stream"
    stream = response.response
    first = next(stream)  # the retry hint; the stream now starts after the latest journal row
    orderid = _place(browser, "<script>alert(1)</script>", **_resting(browser))
    text = (first if isinstance(first, str) else first.decode()) + read_stream(stream)
    assert text.startswith("retry: 1000") and text.count("event: order") == 1
    assert f'"orderid": "{orderid}"' in text and '"toast": "Order ' in text


def test_a_fill_made_by_the_broker_itself_makes_the_stream_ask_pages_to_reload(dash_app):
    """Resting orders fill in the background (no request, no journal row): the plugin's order-update
    hook marks the user's books changed and the open stream sends a `book` event."""
    from services import events
    from tests.dashboard.conftest import signed_in
    dash_app.config["EVENTS_STREAM_SECONDS"] = 0.5
    browser = signed_in(dash_app)
    stream = browser.client.get("/events", buffered=False).response
    next(stream)
    events.book_changed(browser.user_id)
    text = read_stream(stream)
    assert text.count("event: book") == 1 and "event: order" not in text


def test_a_user_keeps_at_most_three_event_streams(dash_app):
    from services import events
    from tests.dashboard.conftest import signed_in
    dash_app.config["EVENTS_STREAM_SECONDS"] = 30
    browser = signed_in(dash_app)
    streams = [browser.client.get("/events", buffered=False).response for _ in range(events.MAX_STREAMS_PER_USER + 1)]
    for stream in streams:
        next(stream)  # each stream registers when it starts
    oldest = read_stream(streams[0])
    assert oldest.endswith("retry: 30000\n\n")  # it ended at once and asks to come back later
    for stream in streams[1:]:
        stream.close()


def test_streams_never_take_more_than_half_the_server_threads(make_app):
    """Each open stream holds a server thread; orders need the rest. With 2 threads, one stream in all:
    a second user's page is told to come back later (and keeps re-reading its books meanwhile)."""
    from tests.dashboard.conftest import signed_in
    from tests.security.conftest import FAST_HASHER
    app = make_app(PASSWORD_HASHER=FAST_HASHER, SERVER_THREADS=2)
    app.config["EVENTS_STREAM_SECONDS"] = 5
    first, second = signed_in(app, "first"), signed_in(app, "second")
    held = first.client.get("/events", buffered=False).response
    next(held)
    refused = second.client.get("/events", buffered=False).response
    assert read_stream(refused) == "retry: 30000\n\n"
    held.close()   # the first page went away: its slot is free again
    again = second.client.get("/events", buffered=False).response
    assert next(again) in ("retry: 1000\n\n", b"retry: 1000\n\n")
    again.close()
