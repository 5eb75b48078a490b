"""`pnl/symbols` with Zerodha connected through the fake Kite server: in analyzer mode the sandbox's P&L
is marked to Kite's last price and no Kite order endpoint is called; in live mode the report comes from
Kite's own trade book and position book, and it and the dashboard's P&L curve count a contract's
multiplier from the Kite master contract (Kite lists USDINR and MCX futures with lot 1: contracts)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from services import broker_session
from tests.fakes.kite_server import REQUEST_TOKEN, KiteServer
from tests.paper.conftest import Clock
# the fixtures (trader, kite) come from conftest.py
from tests.sandbox.support import kite_only_equity, kite_price_moves, list_kite_future, order_calls
from tests.security.conftest import login
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


def _go_live(trader: Trader, kite: KiteServer) -> Clock:
    kite.live_positions = True                  # Kite's position book nets the fills made on the fake
    clock = trader.app.config["OPENALGO_CLOCK"] = Clock()   # inside market hours: orders are not AMO
    with trader.app.app_context():              # a session of that day
        broker_session.connect(trader.user_id, "zerodha", {"request_token": REQUEST_TOKEN, "status": "success"})
    assert trader.post("analyzer/toggle", mode=False).json["data"]["mode"] == "live"
    return clock


def test_live_mode_reports_from_the_brokers_trade_and_position_books(trader: Trader, kite: KiteServer):
    _go_live(trader, kite)
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


@pytest.mark.parametrize(("base", "exchange", "lot", "price", "move", "rupees"), [
    ("USDINR", "CDS", 1, 88.5, 0.0125, 12.5),       # Zerodha's lot 1: a contract of USD 1,000, x1,000
    ("USDINR", "CDS", 1000, 88.5, 0.0125, 12.5),    # a lot of 1,000 (Upstox's): quantity counts dollars, x1
    ("CRUDEOIL", "MCX", 1, 5400.0, 2.0, 200.0),     # Zerodha counts MCX in contracts: 100 barrels, x100
])
def test_live_mode_counts_each_contracts_multiplier(trader: Trader, kite: KiteServer, base: str, exchange: str,
                                                    lot: int, price: float, move: float, rupees: float):
    """Two lots bought, one sold at `move` above, the other marked at 2 x `move` above: one lot's move is
    `rupees` whichever way the broker counts the contract; the equity traded beside it at the same prices
    stays x1."""
    _go_live(trader, kite)
    future, _ = list_kite_future(trader, kite, base, exchange, lot)
    equity = kite_only_equity(trader)
    legs = {future: dict(exchange=exchange, product="NRML", quantity=lot),
            equity.symbol: dict(exchange="NSE", product="MIS", quantity=10)}
    kite.ltp = bought = price
    for symbol, leg in legs.items():
        placed = trader.post("placeorder", strategy="t", symbol=symbol, action="BUY", pricetype="MARKET",
                             exchange=leg["exchange"], product=leg["product"], quantity=str(2 * leg["quantity"]))
        assert placed.status_code == 200, placed.json
    kite.ltp = sold = price + move
    for symbol, leg in legs.items():
        placed = trader.post("placeorder", strategy="t", symbol=symbol, action="SELL", pricetype="MARKET",
                             exchange=leg["exchange"], product=leg["product"], quantity=str(leg["quantity"]))
        assert placed.status_code == 200, placed.json
    kite.ltp = last = price + 2 * move
    _, row = _row(trader, future)
    assert (row["quantity"], row["buy_quantity"], row["sell_quantity"]) == (lot, 2 * lot, lot)
    assert row["today_realized_pnl"] == pytest.approx(rupees, abs=0.01)
    assert row["unrealized_pnl"] == pytest.approx(2 * rupees, abs=0.01)
    _, stock = _row(trader, equity.symbol)
    assert stock["today_realized_pnl"] == pytest.approx(10 * (sold - bought), abs=0.01)
    assert stock["unrealized_pnl"] == pytest.approx(10 * (last - bought), abs=0.01)
    assert len(order_calls(kite)) == 4


def _kite_fill(kite: KiteServer, key: str, action: str, quantity: int, price: float, at: str) -> None:
    """A fill in Kite's trade book (as one made in Kite's own app would be), stamped `at` (IST)."""
    exchange, trading_symbol = key.split(":")
    order_id = str(910000 + len(kite.trades))
    kite.trades.append({"trade_id": f"T{order_id}", "order_id": order_id, "exchange_order_id": f"1{order_id}",
                        "exchange": exchange, "tradingsymbol": trading_symbol, "instrument_token": kite.known[key],
                        "product": "NRML" if exchange == "CDS" else "MIS", "average_price": price,
                        "quantity": quantity, "transaction_type": action, "fill_timestamp": at,
                        "order_timestamp": at[11:], "exchange_timestamp": at})


def test_live_pnl_curve_counts_a_usdinr_contract_as_usd_1000(trader: Trader, kite: KiteServer):
    """The dashboard's curve on Kite's trade book: a USDINR round trip of one contract (lot 1) ends at
    1,000 x the move, an equity round trip beside it at 1 x, and both agree with pnl/symbols."""
    clock = _go_live(trader, kite)
    future, key = list_kite_future(trader, kite, "USDINR", "CDS", 1)
    equity = kite_only_equity(trader)
    stock_key = f"NSE:{equity.brsymbol}"
    # inside the day's first 5-minute bar (09:15), the one bar Kite's fake history has for the day
    opened = clock().replace(hour=9, minute=15, second=0, microsecond=0)
    stamp = lambda minutes: (opened + timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S")  # noqa: E731
    _kite_fill(kite, key, "BUY", 1, 88.5, stamp(1))
    _kite_fill(kite, stock_key, "BUY", 10, 88.5, stamp(1))
    _kite_fill(kite, key, "SELL", 1, 88.5125, stamp(3))
    _kite_fill(kite, stock_key, "SELL", 10, 88.5125, stamp(3))
    realised = 1000 * 0.0125 + 10 * 0.0125                      # ₹12.50 + ₹0.125

    rows = {row["symbol"]: row for row in trader.post("pnl/symbols").json["data"]}
    assert rows[future]["today_realized_pnl"] == pytest.approx(12.5)
    assert rows[equity.symbol]["today_realized_pnl"] == pytest.approx(10 * 0.0125, abs=0.01)
    assert login(trader.client, "trader").status_code == 302
    response = trader.client.get("/dashboard/pnl")
    assert response.status_code == 200, response.get_data(as_text=True)
    points = response.get_json()["points"]
    assert points and points[-1]["value"] == pytest.approx(realised, abs=0.01), response.get_json()
