"""The trader's first session in a real browser: first-run setup → sign in → connect paper → create the
API key → an order placed through the REST API (the public `openalgo` client) appears on the order
book without a reload → cancel it from the page → sign out. Screenshots of the pages on the way."""
from __future__ import annotations

import time

import pytest
from openalgo import api

from tests.browser.conftest import shot, sign_in
from tests.support.prices import resting_buy

pytestmark = [pytest.mark.xdist_group("browser"), pytest.mark.dates]
ADMIN, PASSWORD = "firstrun", "trade-safe-2026"
XSS = "<script>alert(1)</script>"


def test_first_session_end_to_end(empty_server, open_browser):
    page, watch = open_browser(empty_server)

    page.goto("/")
    page.wait_for_url("**/setup")
    shot(page, "01-setup")
    page.fill("#username", ADMIN)
    page.fill("#email", "firstrun@example.com")
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/auth/login")
    assert "Admin account created" in page.inner_text("main")
    sign_in(page, ADMIN, PASSWORD)
    assert page.inner_text("#broker-state") == "No broker connected"

    page.goto("/broker")
    page.click("#connect-paper")
    page.wait_for_selector("#contract[data-state=success]")
    assert "connected" in page.inner_text("#broker-state")
    shot(page, "02-broker")

    page.goto("/apikey")
    page.click("#create-apikey")
    page.wait_for_selector("#reveal-apikey")
    page.click("#reveal-apikey")
    page.wait_for_selector("#copy-apikey:not([hidden])")
    key = page.inner_text("#apikey").strip()
    assert len(key) == 64
    page.click("#reveal-apikey")  # hide it again before the screenshot
    shot(page, "03-apikey")

    page.goto("/orderbook")
    page.wait_for_selector("#book-table[data-loaded]")
    page.evaluate("window.__noReload = true")
    client = api(api_key=key, host=empty_server.host)
    limit = resting_buy(client.quotes(symbol="SBIN", exchange="NSE")["data"]["ltp"])
    placed_at = time.monotonic()
    answer = client.placeorder(strategy=XSS, symbol="SBIN", action="BUY", exchange="NSE", price_type="LIMIT",
                               product="MIS", quantity=1, price=limit)
    assert answer["status"] == "success", answer
    orderid = answer["orderid"]
    page.wait_for_selector(f'#book-table tr[data-orderid="{orderid}"]', timeout=3000)
    row = page.locator(f'#book-table tr[data-orderid="{orderid}"]')
    seconds = time.monotonic() - placed_at
    assert seconds < 2.0, f"the order took {seconds:.2f} s to appear"
    assert page.evaluate("window.__noReload") is True  # pushed, not reloaded
    assert XSS in row.inner_text()  # the strategy name is shown as text
    page.wait_for_selector(f".toast.show:has-text('Order {orderid} placed (BUY 1 SBIN NSE)')")  # the event's toast
    page.wait_for_timeout(300)  # its fade-in
    shot(page, "04-orderbook", full_page=False)

    row.locator('button[data-action="cancel"]').click()
    page.wait_for_selector("#confirm-modal.show")
    assert orderid in page.inner_text("#confirm-body")
    page.click("#confirm-yes")
    page.wait_for_selector(f'#book-table tr[data-orderid="{orderid}"] .badge:text("cancelled")')
    assert client.orderstatus(order_id=orderid, strategy="x")["data"]["order_status"] == "cancelled"

    page.goto("/analyzer")
    page.click("#analyzer-toggle")
    page.wait_for_selector("#confirm-modal.show")
    page.click("#confirm-yes")
    page.wait_for_selector("#analyzer-band")
    assert "Analyzer mode is on" in page.inner_text("#analyzer-band")
    shot(page, "05-analyzer-on")
    page.click("#analyzer-toggle")
    page.wait_for_selector("#confirm-modal.show")
    page.click("#confirm-yes")
    page.wait_for_selector("#analyzer-mode:text('Live')")
    assert page.query_selector("#analyzer-band") is None

    page.click("#user-menu")
    page.click("#sign-out")
    page.wait_for_url("**/auth/login")
    assert "You are signed out." in page.inner_text("main")
    page.goto("/orderbook")
    page.wait_for_url("**/auth/login?next=/orderbook")
    assert not watch.problems()
