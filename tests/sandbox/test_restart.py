"""Issue 23 acceptance: kill -9 `python app.py` (and its WebSocket proxy) during sandbox trading on the live
market, start it again: positions, funds, resting orders and GTTs are as they were, and the restarted
proxy streams the resting order's instrument again so a Kite tick fills it (Kite's quote never crosses
it, so only the proxy's process, fed by the fake ticker, can). Zerodha through the fake Kite server and
ticker; no Kite order endpoint is ever called."""
from __future__ import annotations

import os
import signal
import sqlite3
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from broker.paper.calendar import IST, TIMESTAMP_FORMAT
from tests.fakes.kite_server import API_KEY, API_SECRET, REQUEST_TOKEN, KiteServer
from tests.fakes.kite_ticker import KiteTickerServer
from tests.sandbox.support import order_calls
from tests.support.acceptance import BrokerApp, running_app
from tests.support.net import free_port
from tests.websocket_proxy.conftest import wait_until
from utils.clock import SHIFT, SHIFT_VARIABLE, system_now

pytestmark = pytest.mark.xdist_group("sandbox_restart")
SYMBOL, TOKEN = "ARMANFIN", 4419329      # an NSE equity of the recorded Kite dump the simulated market lacks
LOGIN = {"request_token": REQUEST_TOKEN, "action": "login", "status": "success"}
PRICE = 200.0


def call(app: BrokerApp, endpoint: str, **body: Any) -> dict[str, Any]:
    answer = requests.post(f"{app.server.host}/api/v1/{endpoint}", json={"apikey": app.broker_key, **body}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def order(app: BrokerApp, **fields: Any) -> str:
    body = {"strategy": "t", "symbol": SYMBOL, "exchange": "NSE", "pricetype": "MARKET", "product": "MIS", **fields}
    placed = call(app, "placeorder", **body)
    assert placed["mode"] == "analyze", placed
    return placed["orderid"]


def books(app: BrokerApp) -> dict[str, Any]:
    """What a trader looks at: every order, position, the funds and every GTT."""
    return {"orders": call(app, "orderbook")["data"]["orders"], "positions": call(app, "positionbook")["data"],
            "funds": call(app, "funds")["data"], "gtt": call(app, "gttorderbook", status="all")["data"]}


def status_of(app: BrokerApp, orderid: str) -> dict[str, Any]:
    return call(app, "orderstatus", orderid=orderid, strategy="t")["data"]


def kill(app: BrokerApp) -> None:
    """SIGKILL to the app and its proxy (one process group): no shutdown code runs."""
    os.killpg(app.server.process.pid, signal.SIGKILL)
    app.server.process.communicate(timeout=20)


@contextmanager
def zerodha_app(tmp_path: Path, **settings: str) -> Iterator[tuple[BrokerApp, KiteServer, KiteTickerServer]]:
    """`python app.py` (and its proxy) with a user connected to Zerodha through the fake Kite and ticker."""
    with KiteServer() as kite:
        ticker = KiteTickerServer(api_key=API_KEY, access_token=kite.access_token, interval=0.05)
        port = free_port()
        try:
            with running_app(tmp_path, "zerodha", lambda: LOGIN, port=port, BROKER_API_KEY=API_KEY,
                             BROKER_API_SECRET=API_SECRET, REDIRECT_URL=f"http://127.0.0.1:{port}/zerodha/callback",
                             ZERODHA_API_URL=kite.url, ZERODHA_TICKER_URL=ticker.url, **settings) as app:
                yield app, kite, ticker
        finally:
            ticker.close()


def test_kill_and_restart_during_sandbox_trading_on_the_live_market(tmp_path):
    with zerodha_app(tmp_path) as (app, kite, ticker):
        scenario(app, kite, ticker)


def scenario(app: BrokerApp, kite: KiteServer, ticker: KiteTickerServer) -> None:
    assert call(app, "analyzer/toggle", mode=True, market="live")["data"]["analyze_mode"] is True
    kite.set_quote(f"NSE:{SYMBOL}", last_price=PRICE, bid=PRICE - 0.05, ask=PRICE + 0.05)
    ticker.set_price(TOKEN, PRICE)
    order(app, action="BUY", quantity="10")
    order(app, action="BUY", quantity="5", product="CNC")
    resting = order(app, action="BUY", quantity="4", pricetype="LIMIT", price=str(PRICE - 5))
    stop = order(app, action="SELL", quantity="10", pricetype="SL-M", trigger_price=str(PRICE - 20))
    gtt = call(app, "placegttorder", strategy="t", trigger_type="OCO", symbol=SYMBOL, exchange="NSE", action="SELL",
               product="CNC", quantity=5, pricetype="LIMIT", price=0, triggerprice_sl=PRICE - 50,
               stoploss=PRICE - 50.5, triggerprice_tg=PRICE + 60, target=PRICE + 60.5)
    assert gtt["status"] == "success", gtt
    assert wait_until(lambda: ticker.subscribed(TOKEN), timeout=20), "the proxy never streamed the resting order"
    before = books(app)
    assert status_of(app, resting)["order_status"] == "open"
    assert status_of(app, stop)["order_status"] == "trigger pending"
    connections = ticker.accepted

    kill(app)
    app.server.start()

    assert books(app) == before
    # the restarted proxy streams the instrument again, and its tick (not Kite's quote) fills the order
    assert wait_until(lambda: ticker.accepted > connections and ticker.subscribed(TOKEN), timeout=30)
    ticker.set_price(TOKEN, PRICE - 5.5)
    assert wait_until(lambda: status_of(app, resting)["order_status"] == "complete", timeout=30)
    assert float(status_of(app, resting)["average_price"]) == PRICE - 5
    assert status_of(app, stop)["order_status"] == "trigger pending"
    quantities = {(row["symbol"], row["product"]): int(row["quantity"]) for row in call(app, "positionbook")["data"]}
    assert quantities[(SYMBOL, "MIS")] == 14 and quantities[(SYMBOL, "CNC")] == 5
    assert order_calls(kite) == []


# ------------------------------------------------------------------ the MIS square-off after a restart
LEAD = timedelta(seconds=20)     # the restarted app's clock starts this long before the square-off time


def _ist(at: datetime) -> datetime:
    return at.astimezone(IST)


def open_mis(database: Path) -> int:
    """The stored MIS quantity, read from the app's database file: looking through the API would be a call of
    the user's, which squares off by itself."""
    with sqlite3.connect(database) as connection:
        row = connection.execute("SELECT COALESCE(SUM(ABS(quantity)), 0) FROM paper_positions "
                                 "WHERE product = 'MIS'").fetchone()
    return int(row[0])


def test_restart_squares_off_mis_at_its_time_without_a_call(tmp_path, monkeypatch):
    """An MIS position on the live market and no resting order; the server restarts and the user makes no
    call: the position is still squared off at PAPER_SQUAREOFF_TIME (a minute boundary a few minutes ahead;
    the restarted server's clock is moved to just before it), at Kite's price."""
    squareoff = (_ist(system_now()) + timedelta(minutes=4)).replace(second=0, microsecond=0)
    with zerodha_app(tmp_path, PAPER_SQUAREOFF_TIME=squareoff.strftime("%H:%M")) as (app, kite, _):
        assert call(app, "analyzer/toggle", mode=True, market="live")["data"]["analyze_mode"] is True
        kite.set_quote(f"NSE:{SYMBOL}", last_price=PRICE, bid=PRICE - 0.05, ask=PRICE + 0.05)
        order(app, action="BUY", quantity="10")
        assert [int(row["quantity"]) for row in call(app, "positionbook")["data"]] == [10]
        assert system_now() < squareoff - LEAD, "the set-up took longer than the square-off lead"
        kill(app)
        ahead = squareoff - LEAD - system_now()   # the restarted server starts LEAD before its time
        monkeypatch.setenv(SHIFT_VARIABLE, str((SHIFT + ahead).total_seconds()))
        kite.set_quote(f"NSE:{SYMBOL}", last_price=PRICE + 3, bid=PRICE + 2.95, ask=PRICE + 3.05)
        app.server.start()

        database = tmp_path / "srv.db"
        assert wait_until(lambda: open_mis(database) == 0, timeout=90), "no square-off without a call"
        flat_at = system_now() + ahead
        assert squareoff <= flat_at + timedelta(seconds=1), "squared off before its time"

        # what the trader sees next: the auto square-off at the time, at Kite's bid
        squared = [row for row in call(app, "orderbook")["data"]["orders"]
                   if row["action"] == "SELL" and row["product"] == "MIS"]
        assert len(squared) == 1 and squared[0]["order_status"] == "complete", squared
        assert PRICE + 2 < float(squared[0]["average_price"]) <= PRICE + 2.95   # the bid, less slippage
        filled = datetime.strptime(squared[0]["timestamp"], TIMESTAMP_FORMAT).replace(tzinfo=IST)
        assert squareoff <= filled <= _ist(flat_at) + timedelta(seconds=1)
        assert order_calls(kite) == []
