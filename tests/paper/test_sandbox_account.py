"""Sandbox accounts like a broker's (issue 23): leverage per product from the settings, MIS square-off at
each segment's own time, capital reset with a chosen amount, positions carried over midnight marked
against the previous close, expiry settlement and optional charges — all in the database."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import numpy as np
import pytest

from broker.errors import InvalidOrder
from broker.paper import MANIFEST
from broker.paper.calendar import IST, is_trading_day
from broker.paper.charges import fill_charges
from broker.paper.engine import EngineSettings, PaperEngine
from broker.paper.fills import load_positions
from broker.paper.housekeeping import SquareOffTimes, in_session
from broker.paper.margins import MarginRates
from broker.paper.settlement import settle_expired_positions
from database import paper as store
from database.paper import PaperTrade, aware
from database.paper_pnl import day_rows
from database import db
from tests.paper.conftest import Paper, first_trading_day

pytestmark = pytest.mark.dates  # the day and time matter: ./test.sh reruns it under shifted clocks


def _engine(paper: Paper, **settings: str) -> PaperEngine:
    """An engine with these PAPER_* settings, parsed the way the app parses them."""
    specs = {spec.name: spec for spec in MANIFEST.settings}
    values = {name: specs[name].parse(spec.default) for name, spec in specs.items()}
    values.update({name: specs[name].parse(raw) for name, raw in settings.items()})
    return PaperEngine(EngineSettings.from_settings(values), clock=paper.clock)


def _first(paper: Paper, prefix: str, kind: str, exchange: str | None = None):
    rows = [r for r in paper.engine.catalog().rows if r.symbol.startswith(prefix) and r.kind == kind
            and (exchange is None or r.exchange == exchange)]
    return min(rows, key=lambda r: (r.expiry_epoch, r.symbol))


@pytest.mark.parametrize("raw", ["0", "51", "five"])
def test_leverage_settings_are_validated_naming_what_is_allowed(raw: str):
    spec = next(s for s in MANIFEST.settings if s.name == "PAPER_EQUITY_MIS_LEVERAGE")
    with pytest.raises(ValueError, match="between 1"):
        spec.parse(raw)


def test_margins_follow_the_configured_leverage_and_rates(paper: Paper):
    engine = _engine(paper, PAPER_EQUITY_MIS_LEVERAGE="10", PAPER_FUTURES_MARGIN="20")
    user = paper.user_id
    stock = engine.place(user, symbol="SBIN", exchange="NSE", action="BUY", quantity=10, product="MIS")
    assert engine.snapshot(user).funds.utilised_debits == pytest.approx(10 * stock.average_price / 10, abs=0.01)
    future = _first(paper, "NIFTY", "future", "NFO")
    fut = engine.place(user, symbol=future.symbol, exchange="NFO", action="BUY", quantity=future.lotsize,
                       product="NRML")
    expected = 10 * stock.average_price / 10 + future.lotsize * fut.average_price * 0.20
    assert engine.snapshot(user).funds.utilised_debits == pytest.approx(expected, abs=0.05)
    assert MarginRates.from_settings({}) == MarginRates()   # the documented defaults: 5x, 12 %, ...


def test_option_buying_pays_the_premium_and_selling_blocks_margin(paper: Paper):
    engine = _engine(paper, PAPER_SHORT_OPTION_MARGIN="15")
    user = paper.user_id
    option = _first(paper, "NIFTY", "option", "NFO")
    bought = engine.place(user, symbol=option.symbol, exchange="NFO", action="BUY", quantity=option.lotsize,
                          product="NRML")
    assert engine.snapshot(user).funds.utilised_debits == pytest.approx(option.lotsize * bought.average_price,
                                                                        abs=0.05)
    engine.place(user, symbol=option.symbol, exchange="NFO", action="SELL", quantity=2 * option.lotsize,
                 product="NRML")
    assert engine.snapshot(user).funds.utilised_debits == pytest.approx(option.lotsize * option.strike * 0.15,
                                                                        abs=0.05)


def test_each_segment_is_squared_off_at_its_own_time(paper: Paper):
    engine = _engine(paper, PAPER_SQUAREOFF_FNO="15:25")
    user = paper.user_id
    future = _first(paper, "NIFTY", "future", "NFO")
    commodity = _first(paper, "CRUDEOIL", "spot", "MCX")   # MCX futures are modelled as spot series
    engine.place(user, symbol="SBIN", exchange="NSE", action="BUY", quantity=10, product="MIS")
    engine.place(user, symbol=future.symbol, exchange="NFO", action="BUY", quantity=future.lotsize, product="MIS")
    engine.place(user, symbol=commodity.symbol, exchange="MCX", action="BUY", quantity=commodity.lotsize,
                 product="MIS")
    day = paper.clock().astimezone(IST).date()

    def open_at(hh: int, mm: int) -> set[str]:
        paper.clock.at = datetime.combine(day, time(hh, mm), IST)
        return {p.exchange for p in engine.snapshot(user).positions if p.quantity}

    assert open_at(15, 14) == {"NSE", "NFO", "MCX"}
    assert open_at(15, 16) == {"NFO", "MCX"}
    assert open_at(15, 26) == {"MCX"}
    mcx = _mcx_squareoff(day)
    assert open_at(mcx.hour, mcx.minute - 1) == {"MCX"}
    assert open_at(mcx.hour, mcx.minute + 1) == set()
    assert SquareOffTimes().of("CDS", day) == time(16, 45)


def _sunday(year: int, month: int, nth: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (nth - 1))


def _mcx_squareoff(day: date, before: int = 10) -> time:
    """The default: `before` minutes ahead of MCX's close, 23:30 IST while the US keeps daylight-saving time
    (second Sunday of March to first Sunday of November, US Energy Policy Act 2005) and 23:55 otherwise
    (MCX's circulars revising its hours twice a year)."""
    summer = _sunday(day.year, 3, 2) <= day < _sunday(day.year, 11, 1)
    close = datetime.combine(day, time(23, 30) if summer else time(23, 55))
    return (close - timedelta(minutes=before)).time()


def _mcx_day(day: date, step: int) -> date:
    while not is_trading_day(day, "MCX"):
        day += timedelta(days=step)
    return day


def _around_us_clock_changes(today: date) -> list[date]:
    """The MCX trading days either side of both US clock changes of the coming year."""
    year = today.year if today < _sunday(today.year, 3, 2) - timedelta(days=7) else today.year + 1
    return [_mcx_day(switch + timedelta(days=step), step) for switch in (_sunday(year, 3, 2), _sunday(year, 11, 1))
            for step in (-1, 1)]


def test_mcx_squareoff_follows_the_us_daylight_saving_season(paper: Paper):
    """Either side of the spring change the MIS position is still open a minute before the expected time and
    squared off a minute after; both changes give the expected default times."""
    days = _around_us_clock_changes(paper.clock().astimezone(IST).date())
    assert [_mcx_squareoff(day) for day in days] == [time(23, 45), time(23, 20), time(23, 20), time(23, 45)]
    assert [SquareOffTimes().of("MCX", day) for day in days] == [_mcx_squareoff(day) for day in days]
    engine, user = _engine(paper), paper.user_id
    for day in days[:2]:
        paper.clock.at = datetime.combine(day, time(10, 0), IST)
        commodity = _first(paper, "CRUDEOIL", "spot", "MCX")   # that day's nearest contract
        engine.place(user, symbol=commodity.symbol, exchange="MCX", action="BUY", quantity=commodity.lotsize,
                     product="MIS")
        expected = datetime.combine(day, _mcx_squareoff(day), IST)
        for at, still_open in ((expected - timedelta(minutes=1), True), (expected + timedelta(minutes=1), False)):
            paper.clock.at = at
            assert bool([p for p in engine.snapshot(user).positions if p.quantity]) is still_open, (day, at)


def test_a_fixed_or_earlier_mcx_squareoff_is_kept_all_year(paper: Paper):
    today = paper.clock().astimezone(IST).date()
    fixed = SquareOffTimes.from_settings({"PAPER_SQUAREOFF_MCX": "23:20", "PAPER_SQUAREOFF_MCX_BEFORE": 30})
    earlier = SquareOffTimes.from_settings({"PAPER_SQUAREOFF_MCX": "", "PAPER_SQUAREOFF_MCX_BEFORE": 25})
    for day in (today + timedelta(days=offset) for offset in range(0, 366, 61)):
        assert fixed.of("MCX", day) == time(23, 20)
        assert earlier.of("MCX", day) == _mcx_squareoff(day, before=25)


def test_a_squareoff_missed_while_the_server_was_down_happens_at_its_time(paper: Paper):
    engine, user = paper.engine, paper.user_id
    engine.place(user, symbol="SBIN", exchange="NSE", action="BUY", quantity=10, product="MIS")
    day = paper.clock().astimezone(IST).date()
    paper.clock.advance(days=1, hours=1)                      # nothing ran at 15:15
    cutoff = datetime.combine(day, time(15, 15), IST)
    assert [p.quantity for p in engine.snapshot(user).positions] == []   # closed yesterday, rolled off
    with paper.app.app_context():
        trades = db.session.query(PaperTrade).filter_by(user_id=user, action="SELL").all()
    [squareoff] = trades
    assert aware(squareoff.created_at) == cutoff             # traded at 15:15, not when the server came back
    bid = engine.market.quote(engine.instrument("SBIN", "NSE"), cutoff)["bid"]
    assert squareoff.price == pytest.approx(bid, rel=0.002)    # the price at 15:15, less slippage


def test_reset_with_a_chosen_capital(paper: Paper):
    engine, user = paper.engine, paper.user_id
    engine.place(user, symbol="SBIN", exchange="NSE", action="BUY", quantity=10, product="MIS")
    engine.reset(user, 250_000)
    funds = engine.snapshot(user).funds
    assert (funds.available_cash, funds.raw["capital"], funds.raw["reset_count"]) == (250_000, 250_000, 1)
    engine.reset(user)
    assert engine.snapshot(user).funds.available_cash == 10_000_000   # PAPER_CAPITAL again


def test_a_position_carried_over_midnight_shows_the_next_days_pnl(paper: Paper):
    engine, user = paper.engine, paper.user_id
    future = _first(paper, "NIFTY", "future", "NFO")
    lots = 2 * future.lotsize
    entry = engine.place(user, symbol=future.symbol, exchange="NFO", action="BUY", quantity=lots, product="NRML")
    paper.clock.advance(days=1, hours=1)
    inst = engine.instrument(future.symbol, "NFO")
    quote = engine.quote(inst)
    [position] = engine.snapshot(user).positions
    # total P&L from the entry; today's from yesterday's close, which the quote shows as prev_close
    assert position.pnl == pytest.approx(lots * (position.ltp - entry.average_price), abs=0.05)
    assert position.raw["close_price"] == pytest.approx(quote["prev_close"], abs=0.01)
    assert position.raw["day_pnl"] == pytest.approx(lots * (position.ltp - quote["prev_close"]), abs=0.05)
    assert position.raw["overnight_quantity"] == lots
    # half sold today: today's P&L is the sale and the rest, both from the previous close
    sale = engine.place(user, symbol=future.symbol, exchange="NFO", action="SELL", quantity=future.lotsize,
                        product="NRML")
    snap = engine.snapshot(user)
    [position] = snap.positions
    expected = future.lotsize * (sale.average_price - quote["prev_close"]) \
        + future.lotsize * (position.ltp - quote["prev_close"])
    assert position.raw["day_pnl"] == pytest.approx(expected, abs=0.05)
    assert position.realized_pnl == pytest.approx(future.lotsize * (sale.average_price - entry.average_price),
                                                  abs=0.05)
    assert snap.funds.raw["day_pnl"] == pytest.approx(expected, abs=0.05)


def test_options_held_to_expiry_settle_at_intrinsic_value(paper: Paper):
    engine, user = paper.engine, paper.user_id
    option = _first(paper, "NIFTY", "option", "NFO")
    bought = engine.place(user, symbol=option.symbol, exchange="NFO", action="BUY", quantity=option.lotsize,
                          product="NRML")
    expiry = datetime.fromtimestamp(option.expiry_epoch, IST)
    paper.clock.at = expiry + timedelta(hours=1)
    spot = engine.market.price(engine.instrument("NIFTY", "NSE_INDEX"), expiry)
    intrinsic = max(0.0, spot - option.strike) if option.option_type == "CE" else max(0.0, option.strike - spot)
    snap = engine.snapshot(user)
    open_positions = [p for p in snap.positions if p.quantity]
    assert open_positions == [] and snap.funds.utilised_debits == 0
    gain = option.lotsize * (intrinsic - bought.average_price)
    assert snap.funds.raw["total_realized_pnl"] == pytest.approx(gain, abs=option.lotsize * 1.0)
    with pytest.raises(InvalidOrder):
        engine.place(user, symbol=option.symbol, exchange="NFO", action="BUY", quantity=option.lotsize,
                     product="NRML")


def test_usdinr_contracts_settled_and_carried_count_a_thousand_dollars(paper: Paper):
    """quantity 1 is a contract of USD 1,000 (USDINR counts contracts in the paper market, universe.py):
    its expiry settles 1,000 x the move, and the day's record marks an open one at 1,000 x the close."""
    engine, user = paper.engine, paper.user_id
    futures = sorted((r for r in engine.catalog().rows if r.symbol.startswith("USDINR") and r.kind == "future"),
                     key=lambda r: r.expiry_epoch)
    near, far = futures[0], futures[-1]
    bought = {inst.symbol: engine.place(user, symbol=inst.symbol, exchange="CDS", action="BUY", quantity=1,
                                        product="NRML").average_price for inst in (near, far)}
    expiry = datetime.fromtimestamp(near.expiry_epoch, IST)
    today = lambda symbol, exchange: engine.lookup(symbol, exchange, paper.clock.at)  # noqa: E731
    with store.locked_account(user) as locked:      # the near month's expiry, settled by the engine's rule
        positions = load_positions(locked.tx, user, False)
        settle_expired_positions(locked.tx, locked.account, [p for p in positions if p.quantity],
                                 expiry + timedelta(hours=1), today, engine.market)
    settlement = engine.quote(near, expiry)["ltp"]
    snap = engine.snapshot(user)
    assert [p.symbol for p in snap.positions if p.quantity] == [far.symbol]
    settled = next(p for p in snap.positions if p.symbol == near.symbol)
    assert settled.realized_pnl == pytest.approx(1000 * (settlement - bought[near.symbol]), abs=0.01)

    first = paper.clock.at.date()
    paper.clock.at = datetime.combine(first_trading_day(first + timedelta(days=1)), time(10, 0), IST)
    engine.process(user)        # the day rollover records the day that ended
    record = next(row for row in day_rows(user, first, first) if row.symbol == far.symbol)
    assert record.quantity == 1
    assert record.unrealized == pytest.approx(1000 * (record.close_price - bought[far.symbol]), abs=0.01)


def test_charges_of_a_usdinr_contract_count_its_thousand_dollars(paper: Paper):
    """One contract turns over USD 1,000 at the rate (~₹88,000): brokerage reaches its ₹20 cap, and
    GST and the exchange's charges come on top."""
    engine = _engine(paper, PAPER_CHARGES="true")
    future = _first(paper, "USDINR", "future", "CDS")
    engine.place(paper.user_id, symbol=future.symbol, exchange="CDS", action="BUY", quantity=1, product="NRML")
    assert 20 < engine.snapshot(paper.user_id).funds.raw["charges_today"] < 30


def test_charges_are_paid_from_the_balance_when_enabled(paper: Paper):
    user = paper.user_id
    engine = _engine(paper, PAPER_CHARGES="true")
    buy = engine.place(user, symbol="SBIN", exchange="NSE", action="BUY", quantity=100, product="MIS")
    sell = engine.place(user, symbol="SBIN", exchange="NSE", action="SELL", quantity=100, product="MIS")
    inst = engine.instrument("SBIN", "NSE")
    charges = fill_charges(inst, "MIS", "BUY", 100, buy.average_price) \
        + fill_charges(inst, "MIS", "SELL", 100, sell.average_price)
    assert charges > 0
    funds = engine.snapshot(user).funds
    gross = 100 * (sell.average_price - buy.average_price)
    assert funds.m2m_realized == pytest.approx(gross, abs=0.01)          # P&L is gross, as brokers show it
    assert funds.raw["charges_today"] == pytest.approx(charges, abs=0.01)
    assert funds.available_cash == pytest.approx(10_000_000 + gross - charges, abs=0.01)
    paper.clock.advance(days=1)
    funds = engine.snapshot(user).funds
    assert (funds.raw["charges_today"], funds.raw["charges_total"]) == (0, pytest.approx(charges, abs=0.01))
    assert paper.engine.settings.charges is False                       # off unless PAPER_CHARGES is set


def test_charges_follow_the_published_rates():
    """One NSE intraday buy of 1,00,000 INR: ₹20 brokerage, ₹3 stamp duty, ₹2.97 exchange charges, ₹0.10
    SEBI fee, 18 % GST on those three; no STT on an intraday buy."""
    from broker.paper.instruments import PaperInstrument
    equity = PaperInstrument(symbol="X", brsymbol="X", name="X", exchange="NSE", brexchange="NSE", token="1",
                             expiry="", strike=0.0, lotsize=1, tick_size=0.05, instrumenttype="EQ", kind="spot",
                             driver_key="", reference_price=0.0, volatility=0.0)
    assert fill_charges(equity, "MIS", "BUY", 100, 1000.0) == pytest.approx(20 + 3 + 2.97 + 0.1 + 0.18 * 23.07, abs=0.01)
    # delivery: no brokerage, STT 0.1 % both sides
    assert fill_charges(equity, "CNC", "SELL", 100, 1000.0) == pytest.approx(100 + 2.97 + 0.1 + 0.18 * 3.07, abs=0.01)


def test_resting_mcx_orders_match_until_that_days_close(paper: Paper):
    """PAPER_SESSION=exchange matches resting MCX orders only inside MCX's hours: till 23:55 IST in the US
    winter, 23:30 in its summer (the days around both US clock changes of the coming year)."""
    for day in _around_us_clock_changes(paper.clock().astimezone(IST).date()):
        while not (is_trading_day(day) and is_trading_day(day, "MCX")):   # a day both NSE and MCX trade
            day += timedelta(days=1)
        instants = [datetime.combine(day, at, IST).timestamp() for at in (time(23, 20), time(23, 40), time(23, 56))]
        winter = _mcx_squareoff(day) == time(23, 45)
        assert in_session("MCX", np.array(instants, dtype=np.int64)).tolist() == [True, winter, False], day


def test_a_closed_mcx_names_that_days_close(paper_sqlite: Paper):
    """PAPER_SESSION=exchange refuses an MCX order after the close naming that day's hours, as the order
    reply shows them: 09:00-23:55 IST in the US winter, 09:00-23:30 in its summer (the app's clock on the
    days around both US clock changes of the coming year)."""
    paper = paper_sqlite
    engine = _engine(paper, PAPER_SESSION="exchange")
    for day in _around_us_clock_changes(paper.clock().astimezone(IST).date()):
        paper.clock.at = datetime.combine(day, time(23, 58), IST)   # after the close in either season
        close = (datetime.combine(day, _mcx_squareoff(day)) + timedelta(minutes=10)).time()
        commodity = _first(paper, "CRUDEOIL", "spot", "MCX")
        with pytest.raises(InvalidOrder) as refused:
            engine.place(paper.user_id, symbol=commodity.symbol, exchange="MCX", action="BUY",
                         quantity=commodity.lotsize, product="NRML")
        assert (f"MCX is closed; orders are accepted 09:00-{close:%H:%M} IST on trading days "
                f"(the close on {day:%d-%b-%Y}" in refused.value.message), (day, refused.value.message)
