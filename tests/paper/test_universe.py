"""The simulated universe a script written for the reference finds (issue 23 item 4): more stocks, BANKEX,
SENSEX 50 and NIFTY NEXT 50 with their derivatives, stock futures and options, USDINR on CDS and options on
MCX futures, with the exchanges' lots, strike steps and expiry rules, on whatever day the clock says."""
from __future__ import annotations

import calendar as month_calendar
from datetime import date, timedelta

import numpy as np
import pytest

from broker.errors import InvalidOrder
from broker.paper import universe
from broker.paper.calendar import is_trading_day
from broker.paper.instruments import commodity_expiries, commodity_option_expiry, currency_monthly_expiries
from broker.paper.margins import DEFAULT_RATES
from tests.paper.conftest import Paper
from utils.market_calendar import now_ist
from utils.symbols import parse_derivative, parse_master_expiry

pytestmark = pytest.mark.dates

NEW_STOCKS = ("YESBANK", "NHPC", "BHEL", "IRFC", "IDEA", "SUZLON", "PNB", "IOC", "BANKBARODA", "SWIGGY")


def _derivatives(paper: Paper, base: str, exchange: str, kind: str) -> dict[date, list]:
    """Today's listed contracts of `base` on `exchange` of `kind` (future / option), by expiry."""
    out: dict[date, list] = {}
    for row in paper.engine.catalog().rows:
        parsed = parse_derivative(row.symbol) if row.exchange == exchange and row.kind == kind else None
        if parsed is not None and parsed.base == base:
            out.setdefault(parse_master_expiry(row.expiry), []).append(row)
    return dict(sorted(out.items()))


def _nearest_option(paper: Paper, base: str, exchange: str):
    legs = next(iter(_derivatives(paper, base, exchange, "option").values()))
    ltp = paper.engine.quote(legs[0]).get("ltp")
    assert ltp is not None
    centre = np.median([leg.strike for leg in legs])
    return min((leg for leg in legs if leg.option_type == "CE"), key=lambda leg: abs(leg.strike - centre))


@pytest.mark.parametrize("symbol", NEW_STOCKS)
def test_common_stocks_beyond_the_nifty_50_quote_and_trade(paper: Paper, symbol: str):
    quote = paper.engine.quote(paper.engine.instrument(symbol, "NSE"))
    assert 0 < quote["bid"] <= quote["ltp"] <= quote["ask"]
    order = paper.engine.place(paper.user_id, symbol=symbol, exchange="NSE", action="BUY", quantity=1, product="MIS")
    assert order.status == "complete" and order.average_price == pytest.approx(quote["ask"], rel=0.01)


@pytest.mark.parametrize("symbol, exchange", [("BANKEX", "BSE_INDEX"), ("SENSEX50", "BSE_INDEX"),
                                              ("NIFTYNXT50", "NSE_INDEX")])
def test_the_missing_indices_quote(paper: Paper, symbol: str, exchange: str):
    quote = paper.engine.quote(paper.engine.instrument(symbol, exchange))
    assert quote["ltp"] > 1000 and quote["bid"] == quote["ask"] == 0      # an index has no book


@pytest.mark.parametrize("base, exchange", [("BANKEX", "BFO"), ("SENSEX50", "BFO"), ("NIFTYNXT50", "NFO"),
                                            ("MIDCPNIFTY", "NFO"), ("FINNIFTY", "NFO"), ("RELIANCE", "NFO"),
                                            ("BAJAJ-AUTO", "NFO"), ("YESBANK", "NFO"), ("USDINR", "CDS"),
                                            ("CRUDEOIL", "MCX"), ("GOLDM", "MCX")])
def test_new_derivatives_quote_and_trade_a_lot(paper: Paper, base: str, exchange: str):
    option = _nearest_option(paper, base, exchange)
    future = next(iter(_derivatives(paper, base, exchange, "future").values()), None) if exchange != "MCX" else \
        [r for r in paper.engine.catalog().rows if r.exchange == "MCX" and r.symbol.startswith(base)][:1]
    for contract in [option] + list(future or []):
        quote = paper.engine.quote(contract)
        assert 0 < quote["bid"] <= quote["ask"] and quote["ltp"] > 0, contract.symbol
        order = paper.engine.place(paper.user_id, symbol=contract.symbol, exchange=exchange, action="BUY",
                                   quantity=contract.lotsize, product="NRML")
        assert order.status == "complete", (contract.symbol, order.rejection_reason)
        if contract.lotsize > 1:
            with pytest.raises(InvalidOrder, match=f"multiple of the lot size {contract.lotsize}"):
                paper.engine.place(paper.user_id, symbol=contract.symbol, exchange=exchange, action="BUY",
                                   quantity=contract.lotsize + 1, product="NRML")


@pytest.mark.parametrize("base, exchange, weekday", [
    ("BANKEX", "BFO", 3), ("SENSEX50", "BFO", 3), ("SENSEX", "BFO", 3), ("NIFTYNXT50", "NFO", 1),
    ("MIDCPNIFTY", "NFO", 1), ("RELIANCE", "NFO", 1), ("SBIN", "NFO", 1), ("HDFCBANK", "NFO", 1)])
def test_index_and_stock_contracts_follow_the_exchange_rules(paper: Paper, base, exchange, weekday):
    today = now_ist().date()
    spec, level = universe.index_spec(base), universe.equity_level(base)
    lot = spec.lotsize if spec else universe.stock_lot(base, level)
    step = spec.strike_step if spec else universe.stock_strike_step(level)
    options, futures = _derivatives(paper, base, exchange, "option"), _derivatives(paper, base, exchange, "future")
    assert len(futures) == 3 and len(options) >= 2
    for expiry, legs in {**options, **futures}.items():
        assert expiry >= today and {leg.lotsize for leg in legs} == {lot}
        # the last such weekday of its month, or the trading day before it when that is a holiday
        last = date(expiry.year, expiry.month, month_calendar.monthrange(expiry.year, expiry.month)[1])
        rule_day = last - timedelta(days=(last.weekday() - weekday) % 7)
        if base not in ("SENSEX",) or expiry in futures:
            assert expiry <= rule_day and all(not is_trading_day(d, exchange) for d in _days_between(expiry, rule_day))
        assert is_trading_day(expiry, exchange)
    for legs in options.values():
        strikes = sorted({leg.strike for leg in legs})
        assert set(np.round(np.diff(strikes), 6)) == {step}


def _days_between(first: date, last: date) -> list[date]:
    """The days after `first` up to and including `last`."""
    return [first + timedelta(days=n) for n in range(1, (last - first).days + 1)]


def test_usdinr_follows_the_currency_segment_rules(paper: Paper):
    futures = _derivatives(paper, "USDINR", "CDS", "future")
    options = _derivatives(paper, "USDINR", "CDS", "option")
    today = now_ist().date()
    assert list(futures) == currency_monthly_expiries(today, 3)
    for expiry in futures:
        # two working days before the month's last business day
        last = date(expiry.year, expiry.month, month_calendar.monthrange(expiry.year, expiry.month)[1])
        business = [d for d in _days_between(expiry, last) if is_trading_day(d, "CDS")]
        assert len(business) == 2 and is_trading_day(expiry, "CDS")
    weekly = [expiry for expiry in options if expiry not in futures]
    assert weekly and all(expiry.weekday() <= 4 and is_trading_day(expiry, "CDS") for expiry in weekly)
    legs = next(iter(options.values()))
    usdinr = universe.currency_spec("USDINR")
    assert {leg.lotsize for leg in legs} == {usdinr.lotsize} and {leg.tick_size for leg in legs} == {usdinr.tick_size}
    assert set(np.round(np.diff(sorted({leg.strike for leg in legs})), 6)) == {usdinr.strike_step}
    # quantities count contracts of USD 1,000, as Zerodha's do (see universe.py on brokers' units)
    order = paper.engine.place(paper.user_id, symbol=legs[0].symbol, exchange="CDS", action="BUY", quantity=1,
                               product="NRML")
    assert order.status == "complete"
    assert all(str(leg.strike).rstrip("0").rstrip(".") in leg.symbol for leg in legs)   # e.g. USDINR..88.25CE


@pytest.mark.parametrize("spec", [s for s in universe.COMMODITIES if s.strike_step])
def test_mcx_options_expire_before_their_future(paper: Paper, spec):
    today = now_ist().date()
    options = _derivatives(paper, spec.symbol, "MCX", "option")
    futures = commodity_expiries(spec, today, 3)
    assert len(options) == 2
    for expiry, legs in options.items():
        future = next(f for f in futures if commodity_option_expiry(spec, f) == expiry)
        trading = [d for d in _days_between(expiry, future) if is_trading_day(d, "MCX")]
        assert len(trading) == spec.option_lead_days and expiry >= today
        assert {leg.lotsize for leg in legs} == {spec.lotsize}
        assert set(np.diff(sorted({leg.strike for leg in legs}))) == {spec.strike_step}
        assert all(leg.carry == 0.0 for leg in legs)       # priced on the future itself


def _mcx_futures(paper: Paper, base: str) -> list[date]:
    return sorted(parse_master_expiry(row.expiry) for row in paper.engine.catalog().rows
                  if row.exchange == "MCX" and row.instrumenttype == "FUTCOM"
                  and (parsed := parse_derivative(row.symbol)) is not None and parsed.base == base)


def test_mcx_futures_expire_by_each_contract_rule(paper: Paper):
    """Crude oil four trading days before the 25th, natural gas on the month's fourth-last trading day,
    gold mini on the 5th, silver mini on the month's last day (the trading day before, on a holiday)."""
    today = now_ist().date()
    for base, check in (("CRUDEOIL", _crude_rule), ("NATURALGAS", _gas_rule), ("GOLDM", _day_rule(5)),
                        ("SILVERM", _day_rule(0))):
        expiries = _mcx_futures(paper, base)
        assert len(expiries) == 2, base
        for expiry in expiries:
            assert expiry >= today and is_trading_day(expiry, "MCX") and check(expiry), (base, expiry)


def _trading_days_after(expiry: date, last: date) -> int:
    return len([d for d in _days_between(expiry, last) if is_trading_day(d, "MCX")])


def _crude_rule(expiry: date) -> bool:
    the_25th = date(expiry.year, expiry.month, 25)
    anchor = max(d for d in [expiry] + _days_between(expiry, the_25th) if is_trading_day(d, "MCX"))
    return _trading_days_after(expiry, anchor) == 4


def _gas_rule(expiry: date) -> bool:
    last = date(expiry.year, expiry.month, month_calendar.monthrange(expiry.year, expiry.month)[1])
    return _trading_days_after(expiry, last) == 3


def _day_rule(day: int):
    def check(expiry: date) -> bool:
        rule_day = date(expiry.year, expiry.month, day or month_calendar.monthrange(expiry.year, expiry.month)[1])
        return expiry <= rule_day and _trading_days_after(expiry, rule_day) == 0
    return check


def test_a_contract_outside_todays_window_is_still_priceable(paper: Paper):
    option = _nearest_option(paper, "RELIANCE", "NFO")
    far = option.symbol.replace(f"{option.strike:g}CE", f"{option.strike + 40 * 10:g}CE")
    assert paper.engine.instrument(far, "NFO").strike == option.strike + 400
    off_grid = option.symbol.replace(f"{option.strike:g}CE", f"{option.strike + 3:g}CE")
    with pytest.raises(Exception):
        paper.engine.instrument(off_grid, "NFO")
    usd = _nearest_option(paper, "USDINR", "CDS")
    assert paper.engine.instrument(usd.symbol, "CDS") == usd


def test_no_two_instruments_ever_share_a_token():
    """A token names one instrument on every day: over the instruments of a year's worth of days (new
    expiries and strikes come in as the months pass), every distinct instrument has its own token, and
    each keeps its token from day to day. With 8-digit checksum tokens some days' lists held a pair
    that collided, and the paper market refused to start on those days."""
    from broker.paper.instruments import catalog

    start = now_ist().date()
    tokens: dict[tuple[str, str], str] = {}
    for month in range(12):
        for row in catalog(start + timedelta(days=30 * month + 3 * month % 7)).rows:
            assert tokens.setdefault((row.symbol, row.exchange), row.token) == row.token, row.symbol
    owners: dict[str, tuple[str, str]] = {}
    for instrument, token in tokens.items():
        assert owners.setdefault(token, instrument) == instrument, f"{instrument} and {owners[token]} share {token}"
    assert len(tokens) > 20_000   # the year brought many new instruments in


def test_one_usdinr_contract_is_worth_a_thousand_dollars(paper: Paper):
    """quantity=1 buys one contract; every rupee figure counts its USD 1,000 (a ₹0.01 move is ₹10)."""
    future = next(iter(_derivatives(paper, "USDINR", "CDS", "future").values()))[0]
    engine, user = paper.engine, paper.user_id
    cash = engine.snapshot(user).funds.available_cash
    bought = engine.place(user, symbol=future.symbol, exchange="CDS", action="BUY", quantity=1, product="NRML")
    assert bought.status == "complete" and bought.filled_quantity == 1
    position = next(p for p in engine.snapshot(user).positions if p.symbol == future.symbol)
    funds = engine.snapshot(user).funds
    margin = 1000 * bought.average_price * DEFAULT_RATES.currency
    assert funds.utilised_debits == pytest.approx(margin, abs=0.01)      # 3 % of USD 1,000 at the rate
    assert cash - funds.available_cash == pytest.approx(margin, abs=0.01)
    assert position.unrealized_pnl == pytest.approx(1000 * (position.ltp - bought.average_price), abs=0.01)

    paper.clock.advance(seconds=1800)
    sold = engine.place(user, symbol=future.symbol, exchange="CDS", action="SELL", quantity=1, product="NRML")
    move = sold.average_price - bought.average_price
    funds = engine.snapshot(user).funds
    assert funds.m2m_realized == pytest.approx(1000 * move, abs=0.01)     # ₹10 per paisa of the rate
    assert funds.available_cash - cash == pytest.approx(1000 * move, abs=0.01)
    assert funds.utilised_debits == 0
