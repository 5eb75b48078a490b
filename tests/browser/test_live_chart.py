"""The symbol page's chart follows the market-data WebSocket: `python app.py` with its proxy, the paper
feed ticking, and the page signed in to the feed with the user's key (no console error, no other host)."""
from __future__ import annotations

import time

import pytest

from tests.api.server import prepared_server
from tests.browser.conftest import RELAXED_LOGIN, shot, sign_in
from tests.support.net import free_port
from utils.net import port_open

pytestmark = pytest.mark.xdist_group("browser")


@pytest.fixture
def server_with_feed(tmp_path):
    ws_port = free_port()
    server = prepared_server(tmp_path, WEBSOCKET_PORT=str(ws_port), ZMQ_PORT=str(free_port()),
                             PAPER_TICK_INTERVAL_MS="100", **RELAXED_LOGIN)
    server.env_file.write_text(server.env_file.read_text().replace("WEBSOCKET_PROXY_ENABLED=false",
                                                                   "WEBSOCKET_PROXY_ENABLED=true"))
    server.start()
    deadline = time.monotonic() + 20
    while not port_open("127.0.0.1", ws_port) and time.monotonic() < deadline:
        time.sleep(0.1)
    yield server
    server.stop()


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
