"""Issue 23 item 1: resting sandbox orders on the live market are matched on the live broker's streamed
ticks. Zerodha connected through the fake Kite server and its fake ticker, the WebSocket proxy running
with the production wiring, analyzer on (market=live): the proxy streams the instruments resting orders
wait on (no script subscribes) and a tick that crosses an order fills it, although Kite's quote never did."""
from __future__ import annotations

import json
import threading

import pytest
from openalgo import api
from sqlalchemy import select

from broker.market_view import LiveMarketView
from database import db
from database.paper import PaperGtt, PaperOrder
from services import broker_session
from services.brokers import registry
from services.instrument_cache import cache_for
from tests.fakes.kite_server import KiteServer
from tests.fakes.kite_ticker import KiteTickerServer
from tests.sandbox.support import kite_only_equity, order_calls, position_of
from tests.strategies.conftest import Trader
from tests.websocket_proxy.conftest import wait_until
from utils import clock
from websocket_proxy.server import ProxyServer

pytestmark = pytest.mark.xdist_group("websocket_proxy")


def stored(trader: Trader, model, **where) -> str:  # noqa: ANN001
    """A row's status straight from the database (no engine call, so nothing but the proxy's tick path
    can have moved it)."""
    with trader.app.app_context():
        status = db.session.scalar(select(model.status).filter_by(**where))
        db.session.rollback()
        return status


def market_at(kite: KiteServer, ticker: KiteTickerServer, row, price: float) -> int:  # noqa: ANN001
    """Kite's quote and its ticker both at `price` for `row`; returns its token."""
    kite.set_quote(f"NSE:{row.brsymbol}", last_price=price, bid=price - 0.05, ask=price + 0.05)
    ticker.set_price(int(row.token), price)
    return int(row.token)


def test_a_resting_limit_fills_on_a_streamed_tick(trader: Trader, kite: KiteServer, ticker: KiteTickerServer,
                                                   proxy: ProxyServer):
    row = kite_only_equity(trader)
    token = market_at(kite, ticker, row, 200.0)
    placed = trader.post("placeorder", strategy="t", symbol=row.symbol, exchange="NSE", action="BUY",
                         pricetype="LIMIT", price="195", product="MIS", quantity="4")
    assert placed.status_code == 200 and placed.json["mode"] == "analyze", placed.json
    orderid = placed.json["orderid"]
    assert wait_until(lambda: ticker.subscribed(token), timeout=10), "the proxy never streamed the order's symbol"

    ticker.set_price(token, 194.5)          # the feed crosses the limit; Kite's quote stays at 200
    assert wait_until(lambda: stored(trader, PaperOrder, orderid=orderid) == "complete", timeout=10)
    status = trader.post("orderstatus", orderid=orderid, strategy="t").json["data"]
    assert status["order_status"] == "complete" and float(status["average_price"]) == 195.0
    assert int(position_of(trader, row.symbol)["quantity"]) == 4
    assert order_calls(kite) == []
    # nothing rests any more: the proxy lets the instrument go
    assert wait_until(lambda: not ticker.subscribed(token), timeout=10)


def test_a_gtt_triggers_on_a_streamed_tick(trader: Trader, kite: KiteServer, ticker: KiteTickerServer,
                                           proxy: ProxyServer):
    row = kite_only_equity(trader)
    token = market_at(kite, ticker, row, 100.0)
    trader.post("placeorder", strategy="t", symbol=row.symbol, exchange="NSE", action="BUY", pricetype="MARKET",
                product="CNC", quantity="5")
    gtt = trader.post("placegttorder", strategy="t", trigger_type="OCO", symbol=row.symbol, exchange="NSE",
                      action="SELL", product="CNC", quantity=5, pricetype="LIMIT", price=0, triggerprice_sl=90,
                      stoploss=89.5, triggerprice_tg=110, target=110.5)
    assert gtt.status_code == 200, gtt.json
    trigger_id = str(gtt.json["trigger_id"])
    assert wait_until(lambda: ticker.subscribed(token), timeout=10)

    ticker.set_price(token, 111.0)          # the target leg's trigger; Kite's quote stays at 100
    assert wait_until(lambda: stored(trader, PaperGtt, trigger_id=trigger_id) == "triggered", timeout=10)
    assert order_calls(kite) == []


def test_every_process_matching_the_same_tick_fills_the_order_once(trader: Trader, kite: KiteServer):
    """Under gunicorn each worker and the proxy may match a user's resting orders on the same tick; the
    engine's per-account lock and idempotent catch-up make exactly one fill."""
    row = kite_only_equity(trader)
    kite.set_quote(f"NSE:{row.brsymbol}", last_price=200.0, bid=199.95, ask=200.05)
    placed = trader.post("placeorder", strategy="t", symbol=row.symbol, exchange="NSE", action="BUY",
                         pricetype="LIMIT", price="195", product="MIS", quantity="4")
    orderid = placed.json["orderid"]
    with trader.app.app_context():   # what each process builds for the user: its own view and engine
        paper = registry().get("paper")
        live = broker_session.live_session(trader.user_id)
        views = [LiveMarketView(live.plugin, live.session, cache_for("zerodha").by_symbol,
                                clock=clock.for_app(trader.app)) for _ in range(4)]
        engines = [paper.sandbox(view).orders.engine for view in views]
    for view in views:
        view.streamed("NSE", row.symbol, 194.5)
    start = threading.Barrier(len(engines))
    filled: list[bool] = []

    def match(engine) -> None:  # noqa: ANN001
        with trader.app.app_context():
            start.wait(10)
            filled.append(engine.process(trader.user_id))

    threads = [threading.Thread(target=match, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(filled) == [False, False, False, True]
    trades = [t for t in trader.post("tradebook").json["data"] if t["orderid"] == orderid]
    assert len(trades) == 1 and float(trades[0]["average_price"]) == 195.0
    assert int(position_of(trader, row.symbol)["quantity"]) == 4
    assert order_calls(kite) == []


def test_a_scripts_own_subscription_outlives_the_sandboxs(trader: Trader, kite: KiteServer, ticker: KiteTickerServer,
                                                         proxy: ProxyServer):
    """The sandbox's subscription shares the user's feed with their script's: when the order fills and the
    sandbox lets the instrument go, the script keeps its ticks."""
    row = kite_only_equity(trader)
    token = market_at(kite, ticker, row, 200.0)
    client = api(api_key=trader.key, host="http://127.0.0.1:5000", ws_url=f"ws://127.0.0.1:{proxy.port}")
    assert client.connect() is True
    try:
        received: list[dict] = []
        assert client.subscribe_ltp([{"exchange": "NSE", "symbol": row.symbol}], on_data_received=received.append)
        placed = trader.post("placeorder", strategy="t", symbol=row.symbol, exchange="NSE", action="BUY",
                             pricetype="LIMIT", price="195", product="MIS", quantity="1").json["orderid"]
        assert wait_until(lambda: proxy.tap.status()["instruments"] == 1, timeout=10)
        ticker.set_price(token, 194.5)
        assert wait_until(lambda: stored(trader, PaperOrder, orderid=placed) == "complete", timeout=10)
        assert wait_until(lambda: proxy.tap.status()["instruments"] == 0, timeout=10)   # the sandbox let go

        seen = len(received)
        ticker.set_price(token, 196.0)
        assert wait_until(lambda: any(json.dumps(message).count("196.0") for message in received[seen:]), timeout=10)
        assert ticker.subscribed(token)
    finally:
        client.disconnect()
    assert order_calls(kite) == []
