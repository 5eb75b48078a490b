"""Issue 22 acceptance for Flattrade, through the shared harness (tests/support/acceptance.py): the same
Noren core as Shoonya, here with Flattrade's own login — the request code its login page sends back to
/flattrade/callback, exchanged for the session token sent as `jKey` — and its own URLs. With both public
openalgo clients (1.0.47 and 2.0.5) a script sees the paper broker's shapes for orders, books, funds,
quotes, depth, history and streamed quotes, and a session the OMS rejects mid-day is one broker call and
a clear "broker session expired" 403."""
from __future__ import annotations

from typing import Iterator

import pytest

from tests.brokers.noren.conftest import NorenApp, presented, running_noren_app
from tests.fakes.noren.server import REQUEST_CODE, USER_ID
from tests.support.acceptance import (expired_token_is_one_call, history_matches_paper,
                                      holdings_match_paper, market_order, orders_and_books_match_paper,
                                      quote_matches_paper, streamed_quote_matches_paper)
from tests.support.openalgo_clients import ClientVersion

pytestmark = pytest.mark.xdist_group("flattrade_acceptance")

SYMBOL, TOKEN = "SBIN", "3045"
ORDER = market_order(SYMBOL)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NorenApp]:
    # what /flattrade/callback receives from Flattrade's login page
    login = lambda: {"code": REQUEST_CODE, "client": USER_ID}
    with running_noren_app(tmp_path_factory.mktemp("flattrade_acceptance"), "flattrade", login) as running:
        yield running


def test_orders_books_and_funds_have_the_paper_brokers_shapes(setup: NorenApp, openalgo_client: ClientVersion):
    books = orders_and_books_match_paper(setup.app, openalgo_client, ORDER)
    placed = setup.noren.calls_to("PlaceOrder")[-1]
    assert placed.path == "/PiConnectTP/PlaceOrder" and presented(setup.noren, placed)
    assert books.placed["orderid"] in setup.noren.orders
    assert {h["symbol"] for h in holdings_match_paper(setup.app, openalgo_client)["data"]["holdings"]} == {"ACC"}


def test_market_data_and_streamed_quotes_have_the_paper_brokers_shapes(setup: NorenApp, openalgo_client: ClientVersion):
    ltp = setup.noren.prices[("NSE", TOKEN)]
    assert quote_matches_paper(setup.app, openalgo_client, SYMBOL)["data"]["ltp"] == ltp
    history_matches_paper(setup.app, openalgo_client, SYMBOL)
    assert setup.noren.calls_to("TPSeries")[-1].path == "/PiConnectTP/TPSeries"
    assert abs(streamed_quote_matches_paper(setup.app, openalgo_client, SYMBOL)["ltp"] - ltp) < 0.3


def test_session_rejected_mid_day_is_one_call_then_broker_session_expired(setup: NorenApp, openalgo_client: ClientVersion):
    expired_token_is_one_call(setup.app, openalgo_client, setup.noren, ORDER, "/PiConnectTP/OrderBook",
                              book_method="POST")
