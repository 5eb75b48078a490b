"""Issue 23: in analyzer mode on the live market no live-broker order endpoint is ever called, on any
order path. Zerodha is connected through the fake Kite server, which here fails every call that places,
changes or cancels an order or a GTT; each path below must still work (on the paper engine, at Kite's
prices) and the fake must have received none of those calls: REST (place, modify, cancel, cancel all,
smart, basket, split, close), the TradingView and ChartInk strategy webhooks, a strategy's square-off
(what hosted and webhook strategies get at their square-off time), the engine's MIS square-off, GTTs."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from services import strategy_squareoff
from tests.fakes.kite_server import KiteServer
from tests.sandbox.support import kite_only_equity, kite_price_moves, order_calls, position_of
from tests.strategies.conftest import Trader
from utils.market_calendar import IST, is_trading_day, now_ist

pytestmark = pytest.mark.dates   # square-off times and trading days: rerun under shifted clocks
PRICE = 250.0     # the fake Kite market of the test's symbol (set by the test itself)


@pytest.fixture
def sandbox(trader: Trader, kite: KiteServer):
    """The trader's Kite-only symbol at PRICE, and a Kite that fails any order call."""
    kite.refuse_orders = True
    row = kite_only_equity(trader)
    kite.set_quote(f"NSE:{row.brsymbol}", last_price=PRICE, bid=PRICE - 0.05, ask=PRICE + 0.05)
    yield row
    assert order_calls(kite) == []


def analyzed(answer) -> dict:  # noqa: ANN001
    body = answer.get_json()
    assert answer.status_code == 200 and body["status"] == "success" and body.get("mode", "analyze") == "analyze", body
    return body


def order(row, **fields) -> dict:  # noqa: ANN001
    return {"strategy": "t", "symbol": row.symbol, "exchange": "NSE", "action": "BUY", "pricetype": "MARKET",
            "product": "MIS", "quantity": "2", **fields}


def status_of(trader: Trader, orderid: str) -> str:
    return trader.post("orderstatus", orderid=orderid, strategy="t").json["data"]["order_status"]


def test_rest_order_paths(trader: Trader, sandbox):
    row = sandbox
    filled = analyzed(trader.post("placeorder", **order(row)))["orderid"]
    assert status_of(trader, filled) == "complete"
    resting = analyzed(trader.post("placeorder", **order(row, pricetype="LIMIT", price=str(PRICE - 20))))["orderid"]
    analyzed(trader.post("modifyorder", orderid=resting, **order(row, pricetype="LIMIT", price=str(PRICE - 21))))
    analyzed(trader.post("cancelorder", orderid=resting, strategy="t"))
    assert status_of(trader, resting) == "cancelled"
    analyzed(trader.post("placesmartorder", **order(row, position_size="6", quantity="4")))
    assert int(position_of(trader, row.symbol)["quantity"]) == 6
    analyzed(trader.post("basketorder", strategy="t", orders=[order(row), order(row, action="SELL", quantity="1")]))
    analyzed(trader.post("splitorder", **order(row, quantity="5", splitsize="2")))
    assert int(position_of(trader, row.symbol)["quantity"]) == 6 + 2 - 1 + 5
    analyzed(trader.post("placeorder", **order(row, pricetype="LIMIT", price=str(PRICE - 20))))
    analyzed(trader.post("cancelallorder", strategy="t"))
    analyzed(trader.post("closeposition", strategy="t"))
    assert int(position_of(trader, row.symbol)["quantity"]) == 0


def test_tradingview_and_chartink_webhooks(trader: Trader, sandbox):
    row = sandbox
    _, hook = trader.strategy("LONG", f"NSE:{row.symbol}:3:MIS", name="tv")
    assert trader.webhook(hook, symbol=row.symbol, action="BUY").status_code == 200
    trader.drain()
    assert trader.position(row.symbol) == 3
    assert trader.webhook(hook, symbol=row.symbol, action="SELL").status_code == 200
    trader.drain()
    assert trader.position(row.symbol) == 0

    _, scan = trader.strategy("LONG", f"NSE:{row.symbol}:2:MIS", name="ci")
    answer = trader.webhook(scan, path="chartink", stocks=row.symbol, trigger_prices=str(PRICE), scan_name="BUY scan")
    assert answer.status_code == 200, answer.get_json()
    trader.drain()
    assert trader.position(row.symbol) == 2


def last_whole_trading_day() -> datetime:
    """10:00 IST of the latest trading day whose session has ended: inside the Kite session the fixture
    opened (valid until 06:00 IST after it), whatever day and hour the test runs."""
    now = now_ist()
    day = now.date() if now.time() >= time(15, 30) else now.date() - timedelta(days=1)
    while not is_trading_day("NSE", day):
        day -= timedelta(days=1)
    return datetime.combine(day, time(10, 0), tzinfo=IST)


def test_strategy_and_engine_square_off(trader: Trader, sandbox):
    row = sandbox
    morning = last_whole_trading_day()
    now = {"at": morning}
    trader.app.config["OPENALGO_CLOCK"] = lambda: now["at"]
    _, hook = trader.strategy("LONG", f"NSE:{row.symbol}:3:MIS", name="sq", start_time="09:15", end_time="15:00",
                              squareoff_time="15:10")
    assert trader.webhook(hook, symbol=row.symbol, action="BUY").status_code == 200
    trader.drain()
    assert trader.position(row.symbol) == 3
    with trader.app.app_context():
        assert strategy_squareoff.run_due(trader.app, morning.replace(hour=15, minute=10)) == ["sq"]
    trader.drain()
    assert trader.position(row.symbol) == 0                       # the strategy's square-off, on the sandbox

    analyzed(trader.post("placeorder", **order(row, quantity="4")))
    assert int(position_of(trader, row.symbol)["quantity"]) == 4
    now["at"] = morning.replace(hour=15, minute=25)                # past the engine's MIS square-off
    assert int(position_of(trader, row.symbol)["quantity"]) == 0


def test_gtt_place_modify_trigger_cancel(trader: Trader, kite: KiteServer, sandbox):
    row = sandbox
    analyzed(trader.post("placeorder", **order(row, product="CNC", quantity="5")))
    legs = dict(strategy="t", trigger_type="OCO", symbol=row.symbol, exchange="NSE", action="SELL", product="CNC",
                quantity=5, pricetype="LIMIT", price=0, triggerprice_sl=PRICE - 25, stoploss=PRICE - 25.5,
                triggerprice_tg=PRICE + 25, target=PRICE + 25.5)
    first = analyzed(trader.post("placegttorder", **legs))["trigger_id"]
    analyzed(trader.post("modifygttorder", trigger_id=first, **{**legs, "quantity": 4}))
    analyzed(trader.post("cancelgttorder", trigger_id=first, strategy="t"))
    second = analyzed(trader.post("placegttorder", **legs))["trigger_id"]
    kite_price_moves(kite, f"NSE:{row.brsymbol}", last_price=PRICE + 26, bid=PRICE + 25.95, ask=PRICE + 26.05)
    book = {str(entry["trigger_id"]): entry["status"] for entry in trader.post("gttorderbook", status="all").json["data"]}
    assert book == {str(first): "cancelled", str(second): "triggered"}
