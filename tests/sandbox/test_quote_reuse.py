"""The sandbox on the live market reuses a Kite quote fetched less than one slot of Kite's quote budget
ago (1/second): a basket, several orders on one symbol, or an order followed by a book read no longer
wait about a second per call for the budget, and a price Kite moves to is used once that slot passed.
Zerodha connected through the fake Kite server, analyzer on."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from broker.contract import CapabilityMap
from broker.market_view import LiveMarketView, quote_reuse_seconds
from broker.zerodha import CAPABILITIES as ZERODHA_CAPABILITIES
from services import broker_session
from services.instrument_cache import cache_for
from tests.fakes.kite_server import KiteServer
from tests.sandbox.support import kite_only_equity, kite_price_moves, order_calls, position_of
from tests.strategies.conftest import Trader
from utils import clock

ORDERS = 6
WINDOW = quote_reuse_seconds(ZERODHA_CAPABILITIES)


def _market(row, action: str = "BUY", quantity: str = "1") -> dict:  # noqa: ANN001
    return {"symbol": row.symbol, "exchange": "NSE", "action": action, "pricetype": "MARKET", "product": "MIS",
            "quantity": quantity}


def _fill_prices(trader: Trader, orderids: list[str]) -> list[float]:
    return [float(trader.post("orderstatus", orderid=orderid, strategy="t").json["data"]["average_price"])
            for orderid in orderids]


def test_a_basket_and_repeated_orders_on_one_symbol_do_not_wait_a_second_each(trader: Trader, kite: KiteServer):
    row = kite_only_equity(trader)
    kite.set_quote(f"NSE:{row.brsymbol}", last_price=101.0, bid=100.95, ask=101.05)

    started = time.monotonic()
    basket = trader.post("basketorder", strategy="t", orders=[_market(row) for _ in range(ORDERS)])
    took = time.monotonic() - started
    assert basket.status_code == 200 and basket.json["mode"] == "analyze", basket.json
    # one Kite quote a second used to make the legs wait about (ORDERS - 1) seconds
    assert took < ORDERS * WINDOW / 2, f"{ORDERS} basket legs took {took:.2f}s"
    basket_ids = [leg["orderid"] for leg in basket.json["results"]]
    assert _fill_prices(trader, basket_ids) == [101.05] * ORDERS             # each at Kite's ask

    started = time.monotonic()
    placed = [trader.post("placeorder", strategy="t", **_market(row, "SELL")).json["orderid"] for _ in range(ORDERS)]
    position = position_of(trader, row.symbol)
    took = time.monotonic() - started
    assert took < ORDERS * WINDOW / 2, f"{ORDERS} orders and a position book took {took:.2f}s"
    assert _fill_prices(trader, placed) == [100.95] * ORDERS                  # each at Kite's bid
    assert int(position["quantity"]) == 0
    assert order_calls(kite) == []


def test_a_price_kite_moves_to_is_used_once_the_quote_budgets_slot_passed(trader: Trader, kite: KiteServer):
    row = kite_only_equity(trader)
    key = f"NSE:{row.brsymbol}"
    kite.set_quote(key, last_price=101.0, bid=100.95, ask=101.05)
    first = trader.post("placeorder", strategy="t", **_market(row, quantity="10")).json["orderid"]

    kite_price_moves(kite, key, last_price=104.0, bid=103.95, ask=104.05)
    second = trader.post("placeorder", strategy="t", **_market(row, quantity="10")).json["orderid"]
    assert _fill_prices(trader, [first, second]) == [101.05, 104.05]
    position = position_of(trader, row.symbol)
    assert float(position["ltp"]) == 104.0
    assert float(position["pnl"]) == pytest.approx(10 * (104.0 - 101.05) + 10 * (104.0 - 104.05), abs=0.01)
    assert order_calls(kite) == []


def _view(trader: Trader, now=None) -> LiveMarketView:  # noqa: ANN001
    """What each process builds for the user: a view of their Zerodha session (on `now`, else the app's clock)."""
    live = broker_session.live_session(trader.user_id)
    return LiveMarketView(live.plugin, live.session, cache_for("zerodha").by_symbol,
                          clock=now or clock.for_app(trader.app))


def test_callers_asking_at_once_share_one_kite_quote(trader: Trader, kite: KiteServer):
    """The request threads, basket legs and the matcher ask together: one Kite call answers them all."""
    row = kite_only_equity(trader)
    kite.set_quote(f"NSE:{row.brsymbol}", last_price=101.0, bid=100.95, ask=101.05)
    with trader.app.app_context():
        view = _view(trader)
    asked_before = len(kite.requests_to("/quote"))
    start = threading.Barrier(8)
    answers: list[float] = []

    def ask() -> None:
        with trader.app.app_context():
            start.wait(10)
            answers.append(view.quote(row).ask)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert answers == [101.05] * 8
    assert len(kite.requests_to("/quote")) - asked_before == 1


def test_a_reused_quote_never_records_its_price_after_a_newer_streamed_tick(trader: Trader, kite: KiteServer):
    """Resting orders are matched on the recorded ticks: a reused quote adds its price again later only
    while it is still the last price; after the feed moved it adds nothing (a stale 200 after a streamed
    194.5 would fill a SELL LIMIT at 199 the market never offered)."""
    row = kite_only_equity(trader)
    kite.set_quote(f"NSE:{row.brsymbol}", last_price=200.0, bid=199.95, ask=200.05)
    start = clock.for_app(trader.app)()
    now = {"at": start}
    with trader.app.app_context():
        view = _view(trader, lambda: now["at"])
        view.quote(row)
        now["at"] = start + timedelta(milliseconds=100)
        view.quote(row)                           # reused: the same price, later
        now["at"] = start + timedelta(milliseconds=200)
        view.streamed("NSE", row.symbol, 194.5)
        now["at"] = start + timedelta(milliseconds=300)
        assert view.quote(row).ltp == 200.0       # reused again (within Kite's slot): records nothing
    ticks = view.ticks("NSE", row.symbol, start - timedelta(seconds=1), start + timedelta(seconds=1))
    assert ticks == [(start.timestamp(), 200.0), ((start + timedelta(milliseconds=100)).timestamp(), 200.0),
                     ((start + timedelta(milliseconds=200)).timestamp(), 194.5)]
    assert view.last("NSE", row.symbol) == 194.5


@pytest.mark.parametrize(("budget", "window"), [("1/second", 1.0), ("10/second", 0.1), ("200/minute", 0.3)])
def test_the_reuse_window_is_one_slot_of_the_declared_quote_budget(budget: str, window: float):
    assert quote_reuse_seconds(CapabilityMap(operations=frozenset(), rate_limits={"quotes": budget})) == pytest.approx(window)


def test_a_broker_declaring_no_quote_budget_gets_the_default_ones_slot():
    assert quote_reuse_seconds(CapabilityMap(operations=frozenset(), rate_limits={"orders": "5/second"})) == pytest.approx(0.1)
    assert WINDOW == 1.0   # Kite's documented 1 quote request a second
