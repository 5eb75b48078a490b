"""Property tests (Hypothesis, issue 17.5) of the paper engine's accounting: for any sequence of MIS orders
(market and limit, buys and sells, partly resting, some cancelled) and clock moves that fill resting orders,

  * cash + margin = balance: available cash plus the margin in use is the account balance;
  * balance = capital + realized P&L, and the positions' realized P&L adds up to the account's;
  * every position's quantity is the signed sum of its trades;
  * total P&L (realized + unrealized at the last price) equals the cash flow of the trades marked to the
    last price: nothing is created or lost by the engine's bookkeeping;
  * a rejected order changes nothing.

USDINR's near future is among the symbols: its quantity counts contracts of USD 1,000 (multiplier 1,000),
so the money of its trades is quantity x multiplier x price.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterator

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from broker.errors import OrderRejected
from broker.paper import prices
from broker.paper.instruments import PaperInstrument
from tests.paper.conftest import Paper

SYMBOLS = ("SBIN", "INFY", "TCS", "USDINR")   # USDINR: its near future on CDS
CENT = 0.05   # amounts are stored to 4 decimals and reported to 2: compare to a few paise
# an average price is stored to 4 decimals: up to half of its last digit per unit of the underlying held
AVERAGE_DIGIT = 0.00005

place = st.tuples(st.just("place"), st.sampled_from(SYMBOLS), st.sampled_from(("BUY", "SELL")),
                  st.integers(min_value=1, max_value=40), st.sampled_from(("MARKET", "LIMIT")),
                  st.integers(min_value=-20, max_value=20))   # limit price: ticks away from the quote
wait = st.tuples(st.just("wait"), st.integers(min_value=1, max_value=900))
cancel = st.tuples(st.just("cancel"), st.integers(min_value=0, max_value=5))
operations = st.lists(st.one_of(place, place, wait, cancel), min_size=1, max_size=12)


@pytest.fixture
def fresh(paper_sqlite: Paper) -> Iterator[Paper]:
    yield paper_sqlite


def _instrument(paper: Paper, name: str) -> PaperInstrument:
    if name != "USDINR":
        return paper.engine.instrument(name, "NSE")
    return min((row for row in paper.engine.catalog().rows
                if row.exchange == "CDS" and row.kind == "future" and row.symbol.startswith(name)),
               key=lambda row: row.expiry_epoch)


def _start_over(paper: Paper) -> None:
    paper.clock.at = paper.clock.start
    paper.engine.reset(paper.user_id)


def _run(paper: Paper, operation: tuple) -> None:
    engine, user = paper.engine, paper.user_id
    if operation[0] == "wait":
        paper.clock.advance(seconds=operation[1])
        engine.process(user)
    elif operation[0] == "cancel":
        resting = [o for o in engine.orders(user) if o.status in ("open", "trigger pending")]
        if resting:
            engine.cancel(user, resting[operation[1] % len(resting)].orderid)
    else:
        _, name, action, quantity, pricetype, ticks = operation
        inst = _instrument(paper, name)
        quote = engine.quote(inst)
        price = round(quote["ltp"] + ticks * inst.tick_size, 4) if pricetype == "LIMIT" else 0.0
        before = engine.snapshot(user).funds
        try:
            engine.place(user, symbol=inst.symbol, exchange=inst.exchange, action=action, quantity=quantity,
                         product="MIS", pricetype=pricetype, price=price)
        except OrderRejected:
            after = engine.snapshot(user).funds
            assert (after.available_cash, after.utilised_debits) == (before.available_cash, before.utilised_debits)


def _check_books(paper: Paper) -> None:
    engine, user = paper.engine, paper.user_id
    snapshot = engine.snapshot(user)
    funds, raw = snapshot.funds, snapshot.funds.raw
    assert abs(funds.available_cash + funds.utilised_debits - raw["balance"]) <= CENT
    assert abs(raw["balance"] - (raw["capital"] + raw["total_realized_pnl"])) <= CENT
    assert abs(sum(p.realized_pnl for p in snapshot.positions) - raw["total_realized_pnl"]) <= CENT * len(
        snapshot.positions) + CENT

    net: dict[tuple[str, str], int] = defaultdict(int)
    cash_flow = 0.0
    for trade in engine.trades(user):
        sign = 1 if trade.action == "BUY" else -1
        net[(trade.symbol, trade.exchange)] += sign * trade.quantity
        cash_flow -= sign * trade.quantity * engine.instrument(trade.symbol, trade.exchange).multiplier * trade.price
    held = {(p.symbol, p.exchange): p.quantity for p in snapshot.positions}
    assert {s: q for s, q in net.items() if q} == {s: q for s, q in held.items() if q}

    now = engine.now()
    marked, rounding = cash_flow, 0.0
    for (symbol, exchange), quantity in net.items():
        inst = engine.instrument(symbol, exchange)
        marked += quantity * inst.multiplier * prices.price(inst, now, engine.settings.seed)
        rounding += abs(quantity) * inst.multiplier * AVERAGE_DIGIT
    assert abs(raw["totalpnl"] - marked) <= CENT * (1 + len(net)) + rounding


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sequence=operations)
@example(sequence=[("place", "USDINR", "BUY", 3, "MARKET", 0), ("place", "USDINR", "SELL", 5, "LIMIT", 2),
                   ("wait", 900), ("place", "SBIN", "BUY", 7, "MARKET", 0), ("wait", 900)])   # multiplier 1,000
def test_cash_margin_and_pnl_are_conserved(fresh: Paper, sequence: list[tuple]):
    _start_over(fresh)
    for operation in sequence:
        _run(fresh, operation)
        _check_books(fresh)
