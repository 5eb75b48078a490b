"""Every main page in a real browser with a trading day behind it: screenshots (light, dark, phone),
no console error, no external request, user input shown as text, keyboard reachable."""
from __future__ import annotations

import pytest
from openalgo import api

from tests.browser.conftest import shot, sign_in
from tests.support.prices import resting_buy

pytestmark = pytest.mark.xdist_group("browser")
XSS = "<script>alert(1)</script>"
PAGES = (("dashboard", "/dashboard", "#funds"), ("orderbook", "/orderbook", "#book-table[data-loaded]"),
         ("tradebook", "/tradebook", "#book-table[data-loaded]"), ("positions", "/positions", "#book-table[data-loaded]"),
         ("holdings", "/holdings", "#book-table[data-loaded]"), ("broker", "/broker", "#broker-list"),
         ("apikey", "/apikey", "#apikey"), ("analyzer", "/analyzer", "#analyzer-log"),
         ("profile", "/profile", "#session-ends"), ("audit", "/audit", "table"),
         ("pnl", "/reports/pnl", "#history-chart[data-drawn]"))


@pytest.fixture(scope="module")
def trading_day(ready_server):
    """A few orders of the day through the REST API: fills, an open order, positions."""
    client = api(api_key=ready_server.key, host=ready_server.host)
    for symbol, action, qty in (("SBIN", "BUY", 10), ("INFY", "BUY", 5), ("RELIANCE", "SELL", 4), ("INFY", "SELL", 2)):
        assert client.placeorder(strategy="Momentum", symbol=symbol, action=action, exchange="NSE",
                                 price_type="MARKET", product="MIS", quantity=qty)["status"] == "success"
    limit = resting_buy(client.quotes(symbol="TCS", exchange="NSE")["data"]["ltp"])
    assert client.placeorder(strategy=XSS, symbol="TCS", action="BUY", exchange="NSE", price_type="LIMIT",
                             product="MIS", quantity=1, price=limit)["status"] == "success"
    return ready_server


def test_main_pages_screenshots_light(trading_day, open_browser):
    page, _ = open_browser(trading_day)
    sign_in(page)
    for name, path, ready in PAGES:
        page.goto(path)
        page.wait_for_selector(ready)
        shot(page, f"page-{name}")
    page.goto("/search?q=NIFTY")
    page.wait_for_selector("#search-results tbody tr a")
    shot(page, "page-search")
    page.goto("/symbol/NSE/SBIN")
    page.wait_for_selector("#price-chart canvas")
    page.wait_for_selector("#depth tbody tr:nth-child(5)")
    page.click('#interval-picker [data-interval="15m"]')
    page.wait_for_timeout(500)
    shot(page, "page-symbol-chart")


def test_dark_theme_and_phone_layout(trading_day, open_browser):
    page, _ = open_browser(trading_day, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    sign_in(page)
    page.goto("/dashboard")
    page.wait_for_selector("#funds")
    assert page.is_visible(".navbar-toggler") and not page.is_visible("#main-nav")
    page.click(".navbar-toggler")
    page.wait_for_selector("#main-nav.show")
    page.click("#theme-toggle")
    assert page.get_attribute("html", "data-bs-theme") == "dark"
    page.click(".navbar-toggler")
    page.wait_for_selector("#main-nav", state="hidden")
    shot(page, "phone-dashboard-dark")
    page.goto("/positions")  # the choice survives navigation
    page.wait_for_selector("#book-table[data-loaded]")
    assert page.get_attribute("html", "data-bs-theme") == "dark"
    shot(page, "phone-positions-dark")
    fits = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    for path, ready in (("/positions", "#book-table[data-loaded]"), ("/orderbook", "#book-table[data-loaded]"),
                        ("/dashboard", "#funds"), ("/symbol/NSE/SBIN", "#price-chart canvas"), ("/apikey", "#apikey")):
        page.goto(path)
        page.wait_for_selector(ready)
        assert page.evaluate(fits), f"{path} is wider than the phone (wide tables scroll inside their box)"


def test_user_input_is_rendered_as_text(trading_day, open_browser):
    page, watch = open_browser(trading_day)
    sign_in(page)
    page.goto("/orderbook")
    page.wait_for_selector("#book-table[data-loaded]")
    assert XSS in page.inner_text("#book-table")
    page.goto("/symbol/NSE/" + XSS.replace("/", "%2F"))
    assert page.inner_text("#symbol-name") == XSS
    page.wait_for_selector("#symbol-error:not(.d-none)")
    page.goto(f"/search?q={XSS}")
    assert page.input_value("#search-q") == XSS
    page.wait_for_selector("#search-message:text('No matching symbols')")
    assert page.evaluate("document.querySelectorAll('script:not([src])').length") == 0
    assert not watch.dialogs


def test_keyboard_reaches_the_navigation_and_actions(trading_day, open_browser):
    page, _ = open_browser(trading_day)
    sign_in(page)
    page.goto("/orderbook")
    page.wait_for_selector("#book-table[data-loaded]")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    focused = []
    for _ in range(40):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()"))
    assert "cancel-all" in focused and "filter-symbol" in focused and "Cancel" in focused
    unlabeled = page.evaluate("""[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
        .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')).map(el => el.id || el.name)""")
    assert unlabeled == []


def test_modify_an_open_order_from_the_order_book(trading_day, open_browser):
    page, _ = open_browser(trading_day)
    sign_in(page)
    page.goto("/orderbook")
    page.wait_for_selector("#book-table[data-loaded]")
    page.select_option("#filter-status", "open")
    orderid = page.wait_for_selector('#book-table tr:has(td:text("TCS"))').get_attribute("data-orderid")
    page.locator(f'#book-table tr[data-orderid="{orderid}"] button[data-action="modify"]').click()
    page.wait_for_selector("#modify-modal.show")
    price = resting_buy(float(page.input_value("#modify-price")), below=0.99)   # a little lower, inside the band
    page.fill("#modify-price", f"{price:.2f}")
    page.fill("#modify-quantity", "2")
    page.click("#modify-submit")
    page.wait_for_selector("#modify-modal", state="hidden")
    updated = page.locator(f'#book-table tr[data-orderid="{orderid}"]:has(td:text("{price:,.2f}"))')
    updated.wait_for()
    assert "2" in updated.inner_text().split("\t")


def test_sort_and_filter_the_order_book(trading_day, open_browser):
    page, _ = open_browser(trading_day)
    sign_in(page)
    page.goto("/orderbook")
    page.wait_for_selector("#book-table[data-loaded]")
    symbols = lambda: page.locator("#book-table tbody tr td:nth-child(4)").all_inner_texts()  # noqa: E731
    page.click('#book-table th[data-key="symbol"] button')
    assert symbols() == sorted(symbols()) and page.get_attribute('th[data-key="symbol"]', "aria-sort") == "ascending"
    page.click('#book-table th[data-key="symbol"] button')
    assert symbols() == sorted(symbols(), reverse=True)
    page.fill("#filter-strategy", "Momentum")
    page.locator("#book-count:text('4 of 5 shown')").wait_for()
    assert page.get_attribute("#export-csv", "href").endswith("strategy=Momentum")
