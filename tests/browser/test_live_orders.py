"""The order book follows the user's order events on the WebSocket proxy (`subscribe_orders`, the stream
scripts get): `python app.py` with its proxy, orders placed and cancelled by a script through the REST
API. A new order makes the page re-read its book; a change to an order on the page changes its row in
place, with the statistics, without re-reading anything."""
from __future__ import annotations

import pytest
from openalgo import api
from playwright.sync_api import expect

from tests.browser.conftest import shot, sign_in
from tests.support.prices import resting_buy

pytestmark = pytest.mark.xdist_group("browser")


def _row_status(page, orderid: str) -> str:  # noqa: ANN001
    return page.inner_text(f'#book-table tr[data-orderid="{orderid}"] .badge')


def test_the_order_book_follows_order_events(server_with_feed, open_browser):
    client = api(api_key=server_with_feed.key, host=server_with_feed.host)
    page, _ = open_browser(server_with_feed)
    sign_in(page)
    page.goto("/orderbook")
    page.wait_for_selector('#book-table[data-feed="live"]')

    price = resting_buy(client.quotes(symbol="TCS", exchange="NSE")["data"]["ltp"])
    placed = client.placeorder(strategy="live-book", symbol="TCS", action="BUY", exchange="NSE", price_type="LIMIT",
                               product="MIS", quantity=3, price=price)
    assert placed["status"] == "success", placed
    orderid = placed["orderid"]
    page.wait_for_selector(f'#book-table tr[data-orderid="{orderid}"]')          # a new order: the book re-read
    assert _row_status(page, orderid) == "open"
    open_stat = page.locator('.stat-card:has(.label:text-is("Open")) .value')
    opened = int(open_stat.inner_text())

    loaded, updates = page.get_attribute("#book-table", "data-loaded"), page.get_attribute("#book-table", "data-updates")
    assert client.cancelorder(order_id=orderid, strategy="live-book")["status"] == "success"
    # a locator assertion, not wait_for_function: a predicate string is eval'd in the page, which the
    # dashboard's Content-Security-Policy (no 'unsafe-eval') refuses
    expect(page.locator(f'#book-table tr[data-orderid="{orderid}"] .badge')).to_have_text("cancelled", timeout=5000)
    assert page.get_attribute("#book-table", "data-loaded") == loaded     # changed in place, not re-read
    assert page.get_attribute("#book-table", "data-updates") != updates
    assert int(open_stat.inner_text()) == opened - 1
    shot(page, "page-orderbook-live")
