"""Contrast (WCAG AA) of every visible text on the main pages, in the light and the dark theme."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.xdist_group("browser")
CHECK = (Path(__file__).parent / "contrast.js").read_text()
PAGES = (("/dashboard", "#funds"), ("/orderbook", "#book-table[data-loaded]"), ("/positions", "#book-table[data-loaded]"),
         ("/tradebook", "#book-table[data-loaded]"), ("/holdings", "#book-table[data-loaded]"),
         ("/broker", "#broker-list"), ("/apikey", "#apikey"), ("/analyzer", "#analyzer-log"), ("/profile", "#session-ends"),
         ("/audit", "table"), ("/search?q=SBIN", "#search-results tbody tr"), ("/symbol/NSE/SBIN", "#depth tbody tr"),
         ("/reports/pnl", "#history-chart[data-drawn]"))


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_text_contrast_meets_wcag_aa(ready_server, open_browser, theme: str):
    page, _ = open_browser(ready_server, color_scheme=theme)
    sign_in(page)
    failures = []
    for path, ready in PAGES:
        page.goto(path)
        page.wait_for_selector(ready)
        assert page.get_attribute("html", "data-bs-theme") == theme
        failures += [f"{path}: {problem}" for problem in page.evaluate(CHECK)]
    page.goto("/analyzer")  # the analyzer band, then back to live
    page.click("#analyzer-toggle")
    page.click("#confirm-yes")
    page.wait_for_selector("#analyzer-band")
    failures += [f"analyzer on: {problem}" for problem in page.evaluate(CHECK)]
    page.click("#analyzer-toggle")
    page.click("#confirm-yes")
    page.wait_for_selector("#analyzer-mode:text('Live')")
    page.goto("/auth/login")  # signed-in users see the form too; its labels and links count
    failures += [f"/auth/login: {problem}" for problem in page.evaluate(CHECK)]
    assert not failures, "\n".join(failures)
