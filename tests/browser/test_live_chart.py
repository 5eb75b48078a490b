"""The symbol page's chart follows the market-data WebSocket: `python app.py` with its proxy, the paper
feed ticking, and the page signed in to the feed with the user's key (no console error, no other host)."""
from __future__ import annotations

import time

import pytest

from tests.browser.conftest import shot, sign_in

pytestmark = pytest.mark.xdist_group("browser")


def test_chart_moves_with_live_ticks(server_with_feed, open_browser):
    page, _ = open_browser(server_with_feed)
    sign_in(page)
    page.goto("/symbol/NSE/SBIN")
    page.wait_for_selector("#price-chart canvas")
    page.wait_for_selector("#feed-state:not(.d-none)")
    page.wait_for_selector("#symbol-page[data-ticks]")
    deadline = time.monotonic() + 10
    while int(page.get_attribute("#symbol-page", "data-ticks")) < 3 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert int(page.get_attribute("#symbol-page", "data-ticks")) >= 3  # ticks keep moving the forming candle
    shot(page, "page-symbol-live")
