"""Issue 23 item 2 on the live market: the sandbox account of a user connected to Zerodha (fake Kite
server), analyzer on. A position held overnight is marked against Kite's previous close the next day, an
option whose contract Kite no longer lists settles at expiry from its underlying's price, and the
account's capital can be reset — with no Kite order call."""
from __future__ import annotations

import time as time_module
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from broker.paper.calendar import IST
from database import db
from database.paper import PaperAccount, PaperPosition, PaperTrade
from database.paper_pnl import PaperPnlDay
from services import broker_session, paper_account
from tests.fakes.kite_server import REQUEST_TOKEN, KiteServer
from tests.sandbox.support import kite_only_equity, kite_price_moves, order_calls, position_of
from tests.security.conftest import login
from tests.strategies.conftest import Trader
from utils.market_calendar import now_ist
from utils.symbols import option_symbol

pytestmark = pytest.mark.dates   # the app's clock is moved across days


class _Clock:
    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def _clock(trader: Trader, hour: int, minute: int = 0) -> _Clock:
    clock = _Clock(datetime.combine(now_ist().date(), time(hour, minute), IST))
    trader.app.config["OPENALGO_CLOCK"] = clock
    _login(trader)
    return clock


def _login(trader: Trader) -> None:
    """Log in to Kite at the app's time, as a trader does each morning (Kite's token ends at 06:00 IST)."""
    with trader.app.app_context():
        broker_session.connect(trader.user_id, "zerodha", {"request_token": REQUEST_TOKEN, "status": "success"})


def test_a_live_position_carried_over_midnight_shows_the_next_days_pnl(trader: Trader, kite: KiteServer):
    row = kite_only_equity(trader)
    key = f"NSE:{row.brsymbol}"
    clock = _clock(trader, 20)           # evening: an MIS position opened after the square-off is carried
    kite.set_quote(key, last_price=101.0, bid=100.95, ask=101.05, close=99.0)
    placed = trader.post("placeorder", strategy="t", symbol=row.symbol, exchange="NSE", action="BUY",
                         pricetype="MARKET", product="MIS", quantity="10")
    assert placed.status_code == 200 and placed.json["mode"] == "analyze", placed.json
    assert position_of(trader, row.symbol)["pnl"] == pytest.approx(10 * (101.0 - 101.05), abs=0.01)

    # the next morning before the open: Kite's last price is yesterday's close (its `close` still older)
    clock.at = datetime.combine(clock.at.date() + timedelta(days=1), time(8, 0), IST)
    _login(trader)
    kite_price_moves(kite, key, last_price=103.0, bid=0.0, ask=0.0, close=99.0)
    with trader.app.app_context():
        [position] = paper_account.paper_engine(trader.user_id).snapshot(trader.user_id).positions
    assert position.raw["close_price"] == 103.0 and position.raw["overnight_quantity"] == 10
    assert position.raw["day_pnl"] == 0.0 and position.pnl == pytest.approx(10 * (103.0 - 101.05), abs=0.01)

    clock.at = clock.at.replace(hour=10)                         # the session runs: Kite's close is 103 now
    kite_price_moves(kite, key, last_price=106.0, bid=105.95, ask=106.05, close=103.0)
    with trader.app.app_context():
        snapshot = paper_account.paper_engine(trader.user_id).snapshot(trader.user_id)
    [position] = snapshot.positions
    assert position.raw["day_pnl"] == pytest.approx(10 * (106.0 - 103.0), abs=0.01)
    assert position.pnl == pytest.approx(10 * (106.0 - 101.05), abs=0.01)
    assert snapshot.funds.raw["day_pnl"] == pytest.approx(30.0, abs=0.01)
    assert order_calls(kite) == []


def test_an_expired_option_kite_no_longer_lists_settles_from_its_underlying(trader: Trader, kite: KiteServer):
    row = kite_only_equity(trader)
    clock = _clock(trader, 11)
    expired = option_symbol(row.symbol, clock.at.date() - timedelta(days=1), 90, "CE")
    kite.set_quote(f"NSE:{row.brsymbol}", last_price=97.5, bid=97.45, ask=97.55)
    with trader.app.app_context():
        engine = paper_account.paper_engine(trader.user_id)
        cash = engine.snapshot(trader.user_id).funds.available_cash       # opens the account
        db.session.add(PaperPosition(user_id=trader.user_id, symbol=expired, exchange="NFO", product="NRML",
                                     quantity=500, average_price=4.0, realized_pnl=0.0, margin_blocked=2000.0,
                                     trading_day=clock.at.date(), updated_at=clock.at - timedelta(days=1)))
        db.session.commit()
        snapshot = engine.snapshot(trader.user_id)
    [position] = snapshot.positions
    assert position.quantity == 0 and position.realized_pnl == pytest.approx(500 * (7.5 - 4.0))
    assert snapshot.funds.available_cash == pytest.approx(cash + 500 * 3.5)
    assert order_calls(kite) == []


def test_the_sandbox_account_of_a_live_user_resets_with_a_chosen_capital(trader: Trader, kite: KiteServer):
    row = kite_only_equity(trader)
    kite.set_quote(f"NSE:{row.brsymbol}", last_price=101.0, bid=100.95, ask=101.05)
    trader.post("placeorder", strategy="t", symbol=row.symbol, exchange="NSE", action="BUY",
                pricetype="MARKET", product="CNC", quantity="10")
    with trader.app.app_context():
        funds = paper_account.reset(trader.user_id, "750000")
    assert funds.available_cash == 750_000 and funds.raw["market"].startswith("Sandbox on the live market")
    assert trader.post("funds").json["data"]["availablecash"] in (750_000, "750000.00")
    assert trader.post("positionbook").json["data"] == [] and order_calls(kite) == []


def test_a_live_mis_position_is_squared_off_at_its_time_without_any_call(trader: Trader, kite: KiteServer):
    row = kite_only_equity(trader)
    key = f"NSE:{row.brsymbol}"
    clock = _clock(trader, 15, 10)
    kite.set_quote(key, last_price=101.0, bid=100.95, ask=101.05)
    placed = trader.post("placeorder", strategy="t", symbol=row.symbol, exchange="NSE", action="BUY",
                         pricetype="MARKET", product="MIS", quantity="10")
    assert placed.status_code == 200, placed.json
    kite_price_moves(kite, key, last_price=102.0, bid=101.95, ask=102.05)
    clock.at = clock.at.replace(minute=16)             # past 15:15: the matcher closes it, nobody calls
    deadline = time_module.monotonic() + 10
    while time_module.monotonic() < deadline:
        with trader.app.app_context():
            left = db.session.scalar(select(PaperPosition.quantity).where(PaperPosition.user_id == trader.user_id))
        if left == 0:
            break
        time_module.sleep(0.1)
    assert left == 0
    with trader.app.app_context():
        sold = db.session.scalar(select(PaperTrade.price).where(PaperTrade.user_id == trader.user_id,
                                                                PaperTrade.action == "SELL"))
    assert sold == 101.95 and order_calls(kite) == []   # at Kite's bid, on the paper engine


def test_the_analyzer_page_stays_up_when_the_live_broker_stops_answering(trader: Trader, kite: KiteServer):
    row = kite_only_equity(trader)
    kite.set_quote(f"NSE:{row.brsymbol}", last_price=101.0, bid=100.95, ask=101.05)
    trader.post("placeorder", strategy="t", symbol=row.symbol, exchange="NSE", action="BUY",
                pricetype="MARKET", product="MIS", quantity="10")
    assert login(trader.client, "trader").status_code == 302
    assert 'data-field="capital"' in trader.client.get("/analyzer").get_data(as_text=True)
    kite.expire_token()                      # every Kite call is refused from now on
    page = trader.client.get("/analyzer")
    assert page.status_code == 200 and 'id="sandbox-account"' in page.get_data(as_text=True)
    assert order_calls(kite) == []


def _stored(trader: Trader) -> dict[str, list[tuple]]:
    """The user's stored sandbox account, row by row (what a restart would find)."""
    tables = {"account": PaperAccount, "positions": PaperPosition, "trades": PaperTrade, "days": PaperPnlDay}
    with trader.app.app_context():
        return {name: sorted(tuple(str(value) for key, value in sorted(vars(row).items()) if not key.startswith("_"))
                             for row in db.session.scalars(select(model).where(model.user_id == trader.user_id)))
                for name, model in tables.items()}


@pytest.mark.parametrize("failure", ["kite error", "token expired"])
def test_a_live_quote_failure_at_the_day_change_loses_nothing(trader: Trader, kite: KiteServer, failure: str):
    """A position held overnight; the next morning's first calls need Kite's price for the day-end record
    and the carry-forward, and Kite fails: the user gets a clear error naming the broker, not a 500, and
    nothing stored changes. Once Kite answers, the day rolls over at Kite's price."""
    row = kite_only_equity(trader)
    key = f"NSE:{row.brsymbol}"
    clock = _clock(trader, 20)
    kite.set_quote(key, last_price=101.0, bid=100.95, ask=101.05, close=99.0)
    placed = trader.post("placeorder", strategy="t", symbol=row.symbol, exchange="NSE", action="BUY",
                         pricetype="MARKET", product="MIS", quantity="10")
    assert placed.status_code == 200, placed.json
    held_day = clock.at.date()
    clock.at = datetime.combine(held_day + timedelta(days=1), time(8, 0), IST)
    _login(trader)
    kite_price_moves(kite, key, last_price=103.0, bid=0.0, ask=0.0, close=99.0)
    before = _stored(trader)

    if failure == "kite error":
        kite.fail_next(503, "NetworkException", "Kite is not answering", times=40, paths=("/quote",))
    else:
        kite.expire_token()
    for endpoint in ("positionbook", "funds"):
        answer = trader.post(endpoint)
        # try again shortly (Kite down), or reconnect (its session ended): never a 500
        assert answer.status_code == (503 if failure == "kite error" else 403), (endpoint, answer.json)
        assert answer.json["status"] == "error" and "new trading day" in answer.json["message"], answer.json
        assert "zerodha" in answer.json["message"].lower() or "kite" in answer.json["message"].lower(), answer.json
        assert _stored(trader) == before

    if failure == "token expired":
        _login(trader)                       # the trader logs in to Kite again
    deadline = time_module.monotonic() + 60
    while (answer := trader.post("positionbook")).status_code != 200 and time_module.monotonic() < deadline:
        time_module.sleep(0.05)              # the failing answers Kite still owes are used up
    assert answer.status_code == 200, answer.json
    [position] = answer.json["data"]
    with trader.app.app_context():
        [carried] = paper_account.paper_engine(trader.user_id).snapshot(trader.user_id).positions
        [recorded] = db.session.scalars(select(PaperPnlDay).where(PaperPnlDay.user_id == trader.user_id))
    assert int(position["quantity"]) == 10 and carried.raw["close_price"] == 103.0
    assert carried.raw["day_pnl"] == 0.0
    assert recorded.day == held_day and recorded.close_price == 103.0
    assert recorded.unrealized == pytest.approx(10 * (103.0 - 101.05), abs=0.01)
    assert order_calls(kite) == []
