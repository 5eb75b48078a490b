"""`pnl/symbols` with Zerodha connected through the fake Kite server: in analyzer mode the sandbox's P&L
is marked to Kite's last price and no Kite order endpoint is called; in live mode the report comes from
Kite's own trade book and position book."""
from __future__ import annotations

import pytest

from services import broker_session
from tests.fakes.kite_server import REQUEST_TOKEN, KiteServer
from tests.paper.conftest import Clock
from tests.sandbox.support import kite_only_equity, kite_price_moves, order_calls   # the fixtures come from conftest.py
from tests.strategies.conftest import Trader

pytestmark = pytest.mark.dates  # market hours matter (AMO outside them): rerun under shifted clocks


def _row(account: Trader, symbol: str) -> tuple[dict, dict]:
    body = account.post("pnl/symbols")
    assert body.status_code == 200, body.json
    rows = [row for row in body.json["data"] if row["symbol"] == symbol]
    assert len(rows) == 1, body.json
    return body.json, rows[0]


def test_sandbox_pnl_is_marked_to_the_kite_price_without_a_kite_order(trader: Trader, kite: KiteServer):
    row = kite_only_equity(trader)
    key = f"NSE:{row.brsymbol}"
    kite.set_quote(key, last_price=101.0, bid=100.95, ask=101.05)
    order = dict(strategy="t", symbol=row.symbol, exchange="NSE", pricetype="MARKET", product="MIS")
    assert trader.post("placeorder", action="BUY", quantity="10", **order).status_code == 200
    kite_price_moves(kite, key, last_price=103.0, bid=102.95, ask=103.05)
    assert trader.post("placeorder", action="SELL", quantity="4", **order).status_code == 200
    kite_price_moves(kite, key, last_price=104.0, bid=103.95, ask=104.05)
    body, pnl = _row(trader, row.symbol)
    assert body["mode"] == "analyze"
    assert (pnl["quantity"], pnl["buy_average"], pnl["sell_average"], pnl["ltp"]) == (6, 101.05, 102.95, 104.0)
    assert pnl["today_realized_pnl"] == pytest.approx(4 * (102.95 - 101.05))
    assert pnl["unrealized_pnl"] == pytest.approx(6 * (104.0 - 101.05))
    assert order_calls(kite) == []


def test_live_mode_reports_from_the_brokers_trade_and_position_books(trader: Trader, kite: KiteServer):
    kite.live_positions = True                  # Kite's position book nets the fills made on the fake
    trader.app.config["OPENALGO_CLOCK"] = Clock()   # inside market hours: orders are not AMO
    with trader.app.app_context():              # a session of that day
        broker_session.connect(trader.user_id, "zerodha", {"request_token": REQUEST_TOKEN, "status": "success"})
    assert trader.post("analyzer/toggle", mode=False).json["data"]["mode"] == "live"
    row = kite_only_equity(trader)
    order = dict(strategy="t", symbol=row.symbol, exchange="NSE", pricetype="MARKET", product="MIS")
    bought = kite.ltp
    assert trader.post("placeorder", action="BUY", quantity="10", **order).status_code == 200
    kite.ltp = sold = bought + 2.5
    assert trader.post("placeorder", action="SELL", quantity="4", **order).status_code == 200
    kite.ltp = last = bought + 4.0
    body, pnl = _row(trader, row.symbol)
    assert body["mode"] == "live"
    assert (pnl["quantity"], pnl["buy_quantity"], pnl["sell_quantity"], pnl["ltp"]) == (6, 10, 4, last)
    assert pnl["today_realized_pnl"] == pytest.approx(4 * (sold - bought))
    assert pnl["unrealized_pnl"] == pytest.approx(6 * (last - bought))
    assert pnl["pnl"] == pytest.approx(pnl["today_realized_pnl"] + pnl["unrealized_pnl"], abs=0.01)
    assert len(order_calls(kite)) == 2          # live mode: the orders did go to Kite
