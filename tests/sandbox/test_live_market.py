"""Issue 23 item 1 acceptance: analyzer mode on the live market. Zerodha connected through the fake Kite
server; with analyzer on, orders run on the paper engine, which takes its instruments from the Kite
master contract and its prices from Kite's quotes, and no Kite order endpoint is ever called."""
from __future__ import annotations

import pytest

from tests.api.conftest import Account
from tests.fakes.kite_server import KiteServer
from tests.sandbox.support import kite_only_equity, kite_price_moves, order_calls, position_of
from tests.strategies.conftest import Trader


def test_market_buy_of_a_kite_only_symbol_fills_at_the_kite_ask(trader: Account, kite: KiteServer):
    row = kite_only_equity(trader)
    kite.set_quote(f"NSE:{row.brsymbol}", last_price=101.0, bid=100.95, ask=101.05)
    cash_before = trader.post("funds").json["data"]["availablecash"]

    placed = trader.post("placeorder", strategy="t", symbol=row.symbol, exchange="NSE", action="BUY",
                         pricetype="MARKET", product="MIS", quantity="10")
    assert placed.status_code == 200 and placed.json["mode"] == "analyze", placed.json
    status = trader.post("orderstatus", orderid=placed.json["orderid"], strategy="t").json["data"]
    assert status["order_status"] == "complete" and float(status["average_price"]) == 101.05

    kite_price_moves(kite, f"NSE:{row.brsymbol}", last_price=103.0, bid=102.95, ask=103.05)
    position = position_of(trader, row.symbol)
    assert int(position["quantity"]) == 10 and float(position["average_price"]) == 101.05
    funds = trader.post("funds").json["data"]
    assert float(funds["availablecash"]) < float(cash_before)            # MIS margin is blocked
    assert float(funds["m2munrealized"]) == pytest.approx(10 * (103.0 - 101.05))   # marked to Kite's LTP

    sold = trader.post("placeorder", strategy="t", symbol=row.symbol, exchange="NSE", action="SELL",
                       pricetype="MARKET", product="MIS", quantity="10")
    status = trader.post("orderstatus", orderid=sold.json["orderid"], strategy="t").json["data"]
    assert float(status["average_price"]) == 102.95                      # a sell fills at the bid
    assert float(trader.post("funds").json["data"]["m2mrealized"]) == pytest.approx(10 * (102.95 - 101.05))
    assert order_calls(kite) == []


def test_an_empty_book_side_fills_at_the_last_price(trader: Account, kite: KiteServer):
    row = kite_only_equity(trader)
    kite.set_quote(f"NSE:{row.brsymbol}", last_price=55.5, bid=55.45, ask=0.0)
    placed = trader.post("placeorder", strategy="t", symbol=row.symbol, exchange="NSE", action="BUY",
                         pricetype="MARKET", product="CNC", quantity="2")
    status = trader.post("orderstatus", orderid=placed.json["orderid"], strategy="t").json["data"]
    assert float(status["average_price"]) == 55.5
    assert order_calls(kite) == []


def test_a_resting_limit_fills_when_the_kite_price_crosses_it(trader: Account, kite: KiteServer):
    row = kite_only_equity(trader)
    kite.set_quote(f"NSE:{row.brsymbol}", last_price=200.0, bid=199.95, ask=200.05)
    placed = trader.post("placeorder", strategy="t", symbol=row.symbol, exchange="NSE", action="BUY",
                         pricetype="LIMIT", price="195", product="MIS", quantity="4")
    assert placed.status_code == 200, placed.json
    orderid = placed.json["orderid"]
    assert trader.post("orderstatus", orderid=orderid, strategy="t").json["data"]["order_status"] == "open"

    kite_price_moves(kite, f"NSE:{row.brsymbol}", last_price=194.5, bid=194.45, ask=194.55)
    status = trader.post("orderstatus", orderid=orderid, strategy="t").json["data"]
    assert status["order_status"] == "complete" and float(status["average_price"]) == 195.0
    assert int(position_of(trader, row.symbol)["quantity"]) == 4

    stop = trader.post("placeorder", strategy="t", symbol=row.symbol, exchange="NSE", action="SELL",
                       pricetype="SL-M", trigger_price="190", product="MIS", quantity="4")
    assert trader.post("orderstatus", orderid=stop.json["orderid"], strategy="t").json["data"]["order_status"] \
        == "trigger pending"
    kite_price_moves(kite, f"NSE:{row.brsymbol}", last_price=189.0, bid=188.95, ask=189.05)
    assert trader.post("orderstatus", orderid=stop.json["orderid"], strategy="t").json["data"]["order_status"] \
        == "complete"
    assert int(position_of(trader, row.symbol)["quantity"]) == 0
    assert order_calls(kite) == []


def test_gtt_modify_cancel_and_close_all_never_reach_kite(trader: Account, kite: KiteServer):
    row = kite_only_equity(trader)
    kite.set_quote(f"NSE:{row.brsymbol}", last_price=100.0, bid=99.95, ask=100.05)
    trader.post("placeorder", strategy="t", symbol=row.symbol, exchange="NSE", action="BUY", pricetype="MARKET",
                product="CNC", quantity="5")
    gtt = trader.post("placegttorder", strategy="t", trigger_type="OCO", symbol=row.symbol, exchange="NSE",
                      action="SELL", product="CNC", quantity=5, pricetype="LIMIT", price=0, triggerprice_sl=90,
                      stoploss=89.5, triggerprice_tg=110, target=110.5)
    assert gtt.status_code == 200 and gtt.json["status"] == "success", gtt.json
    resting = trader.post("placeorder", strategy="t", symbol=row.symbol, exchange="NSE", action="BUY",
                          pricetype="LIMIT", price="90", product="MIS", quantity="1").json["orderid"]
    assert trader.post("modifyorder", orderid=resting, strategy="t", symbol=row.symbol, exchange="NSE",
                       action="BUY", pricetype="LIMIT", price="91", product="MIS", quantity="1").status_code == 200
    assert trader.post("cancelorder", orderid=resting, strategy="t").status_code == 200

    kite_price_moves(kite, f"NSE:{row.brsymbol}", last_price=111.0, bid=110.95, ask=111.05)   # the target triggers
    book = trader.post("gttorderbook", status="all").json
    assert len(book["data"]) == 1, book
    [entry] = book["data"]
    assert entry["status"] == "triggered", entry
    assert trader.post("closeposition", strategy="t").json["mode"] == "analyze"
    assert trader.post("cancelallorder", strategy="t").status_code == 200
    assert order_calls(kite) == []


def test_webhook_alerts_fill_on_the_kite_market_without_a_kite_order(trader: Trader, kite: KiteServer):
    row = kite_only_equity(trader)
    kite.set_quote(f"NSE:{row.brsymbol}", last_price=300.0, bid=299.9, ask=300.1)
    _, hook = trader.strategy("BOTH", f"NSE:{row.symbol}:5:MIS")
    answer = trader.webhook(hook, symbol=row.symbol, action="BUY", position_size="5")
    assert answer.status_code == 200, answer.get_json()
    trader.drain()
    assert trader.position(row.symbol) == 5
    assert float(position_of(trader, row.symbol)["average_price"]) == 300.1
    assert trader.webhook(hook, symbol=row.symbol, action="SELL", position_size="0").status_code == 200
    trader.drain()
    assert trader.position(row.symbol) == 0
    assert order_calls(kite) == []
