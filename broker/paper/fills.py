"""How one fill changes a paper account: the trade row, the order, the position or holding, the funds.

Runs inside `database.paper.locked_account`, on its `PaperTx`. Realized P&L moves the account balance
(and is written to the funds ledger); position margin is recomputed from the position after the fill,
so "funds used" always equals the margin of open positions plus that blocked by resting orders. With
PAPER_CHARGES on, the fill's charges (broker/paper/charges.py) are paid from the balance too.

Quantities are in the market's units; money is quantity x the instrument's contract multiplier x price
(a USDINR contract counted as 1 holds USD 1,000). The position keeps its multiplier, so it is valued the
same after a restart and once its contract has left the master contract.
"""
from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import bindparam, select

from broker.paper.calendar import ist_now
from broker.paper.charges import fill_charges
from broker.paper.instruments import PaperInstrument
from broker.paper.margins import DEFAULT_RATES, MarginRates, position_margin
from database.paper import HOLDINGS, LEDGER, POSITIONS, TRADES
from database.paper_tx import PaperRow, PaperTx
from utils.constants import ORDER_STATUS_COMPLETE


def new_id(at: datetime) -> str:
    """A broker-style id: `YYMMDD` (IST) + 8 random digits, 14 digits. Not checked against the table
    (a lookup per id would cost a round trip on every order): the unique constraint refuses the rare
    clash and the engine runs the call again (`PaperEngine` retries on IntegrityError)."""
    return f"{ist_now(at).strftime('%y%m%d')}{secrets.randbelow(10**8):08d}"


# ------------------------------------------------------------------------ the call's positions
# Every engine call loads the user's positions once, right after taking the account lock; lookups
# and the margin sum then use these rows instead of querying again. Only the locked transaction writes
# this user's positions, so the rows cannot go stale while the lock is held.
_POSITIONS = "positions"
_HAS_RESTING = "has_resting"
_POSITIONS_OF_USER = select(POSITIONS).where(POSITIONS.c.user_id == bindparam("uid")).order_by(POSITIONS.c.id)
_HOLDING = select(HOLDINGS).where(HOLDINGS.c.user_id == bindparam("uid"), HOLDINGS.c.symbol == bindparam("symbol"),
                                  HOLDINGS.c.exchange == bindparam("exchange"))
_HOLDINGS_OF_USER = select(HOLDINGS).where(HOLDINGS.c.user_id == bindparam("uid")).order_by(HOLDINGS.c.id)


_RATES = "margin_rates"
_CHARGES = "charges"


def load_positions(tx: PaperTx, user_id: int, has_resting: bool, rates: MarginRates = DEFAULT_RATES,
                   charges: bool = False) -> list[PaperRow]:
    """Load the user's positions for this call, and the account rules its fills follow (margin rates,
    whether charges are paid)."""
    rows = tx.rows(POSITIONS, _POSITIONS_OF_USER, {"uid": user_id})
    tx.info[_POSITIONS] = {(p.symbol, p.exchange, p.product): p for p in rows}
    tx.info[_HAS_RESTING] = has_resting
    tx.info[_RATES], tx.info[_CHARGES] = rates, charges
    return rows


def positions_of(tx: PaperTx) -> list[PaperRow]:
    return list(tx.info[_POSITIONS].values())


def forget_position(tx: PaperTx, position: PaperRow) -> None:
    tx.delete(position)
    tx.info[_POSITIONS].pop((position.symbol, position.exchange, position.product), None)


def note_order_event(tx: PaperTx) -> None:
    """An order of this call was filled or ended (what the background matcher reports to the app)."""
    tx.info["order_events"] = tx.info.get("order_events", 0) + 1


def order_events(tx: PaperTx) -> int:
    return tx.info.get("order_events", 0)


def note_resting(tx: PaperTx) -> None:
    """An order of this call now rests (and may block margin)."""
    tx.info[_HAS_RESTING] = True


def loaded_position_margin(tx: PaperTx) -> float | None:
    """Margin held by the loaded positions when no order rests (so none blocks margin), else None."""
    if tx.info.get(_HAS_RESTING, True):
        return None
    return sum(float(p.margin_blocked or 0.0) for p in tx.info[_POSITIONS].values())


def get_position(tx: PaperTx, symbol: str, exchange: str, product: str) -> PaperRow | None:
    return tx.info[_POSITIONS].get((symbol, exchange, product))


def get_holding(tx: PaperTx, user_id: int, symbol: str, exchange: str) -> PaperRow | None:
    return tx.first(HOLDINGS, _HOLDING, {"uid": user_id, "symbol": symbol, "exchange": exchange})


def holdings_of(tx: PaperTx, user_id: int) -> list[PaperRow]:
    """Every holding row of the user, those sold out today (quantity 0) included."""
    return tx.rows(HOLDINGS, _HOLDINGS_OF_USER, {"uid": user_id})


# ------------------------------------------------------------------------------------------ fills
def position_after(quantity: int, average: float, fill_quantity: int, price: float) -> tuple[int, float, float]:
    """(new signed quantity, new average price, realized P&L) after a signed fill."""
    if quantity == 0 or (quantity > 0) == (fill_quantity > 0):
        total = quantity + fill_quantity
        return total, (abs(quantity) * average + abs(fill_quantity) * price) / abs(total), 0.0
    closing = min(abs(quantity), abs(fill_quantity))
    realized = closing * (price - average) * (1 if quantity > 0 else -1)
    total = quantity + fill_quantity
    if total == 0:
        return 0, 0.0, realized
    if (total > 0) == (quantity > 0):
        return total, average, realized
    return total, price, realized  # the position flipped: the rest opens at the fill price


def book_realized(tx: PaperTx, account: PaperRow, amount: float, kind: str, reference: str, at: datetime) -> None:
    if not amount:
        return
    account.balance = round(account.balance + amount, 4)
    if kind in ("realized_pnl", "holding_sale_pnl", "expiry"):
        account.realized_today = round(account.realized_today + amount, 4)
        account.realized_total = round(account.realized_total + amount, 4)
    elif kind == "charges":
        account.charges_today = round(account.charges_today - amount, 4)
        account.charges_total = round(account.charges_total - amount, 4)
    tx.add(LEDGER, user_id=account.user_id, kind=kind, amount=round(amount, 4), balance_after=account.balance,
           reference=reference, created_at=at)


def fill_order(tx: PaperTx, account: PaperRow, order: PaperRow, inst: PaperInstrument, price: float, at: datetime,
               today: date) -> None:
    """Fill `order` completely at `price` at instant `at`."""
    price = round(price, 4)
    charges = fill_charges(inst, order.product, order.action, order.quantity, price) if tx.info[_CHARGES] else 0.0
    tx.add(TRADES, user_id=account.user_id, tradeid=new_id(at), orderid=order.orderid, strategy=order.strategy,
           symbol=order.symbol, exchange=order.exchange, product=order.product, action=order.action,
           quantity=order.quantity, price=price, charges=charges, created_at=at)
    book_realized(tx, account, -charges, "charges", order.orderid, at)
    order.status, order.filled_quantity, order.average_price = ORDER_STATUS_COMPLETE, order.quantity, price
    order.margin_blocked, order.updated_at = 0.0, at
    note_order_event(tx)
    signed = order.quantity if order.action == "BUY" else -order.quantity
    position = get_position(tx, order.symbol, order.exchange, order.product)
    if order.product == "CNC" and signed < 0:
        signed = _sell_from_holdings(tx, account, order, position, price, at)
        if signed == 0:
            return
    if position is None:
        position = tx.add(POSITIONS, user_id=account.user_id, symbol=order.symbol, exchange=order.exchange,
                          product=order.product, quantity=0, average_price=0.0, realized_pnl=0.0,
                          margin_blocked=0.0, trading_day=today, overnight_quantity=0, close_price=0.0,
                          carry_pnl=0.0, multiplier=inst.multiplier, updated_at=at)
        tx.info[_POSITIONS][(position.symbol, position.exchange, position.product)] = position
    _in_units_of(position, inst.multiplier)
    quantity, average, realized = position_after(position.quantity, position.average_price, signed, price)
    realized *= inst.multiplier
    position.quantity, position.average_price = quantity, round(average, 4)
    position.realized_pnl = round(position.realized_pnl + realized, 4)
    position.margin_blocked = round(position_margin(inst, order.product, quantity, average, tx.info[_RATES]), 4)
    position.trading_day, position.updated_at = today, at
    book_realized(tx, account, realized, "realized_pnl", order.orderid, at)


def _in_units_of(position: PaperRow, multiplier: float) -> None:
    """Count the position in the instrument's current units before a fill adds to it: a position opened
    when the market counted units of the underlying (multiplier 1, e.g. USDINR in dollars) is
    converted to contracts when that is exact; otherwise it keeps its own units (its value is the same
    either way: quantity x multiplier)."""
    old = float(position.multiplier or 1.0)
    if old == multiplier:
        return
    if position.quantity == 0 and position.overnight_quantity == 0:
        position.multiplier = multiplier
        return
    scaled = position.quantity * old / multiplier
    overnight = position.overnight_quantity * old / multiplier
    if scaled == int(scaled) and overnight == int(overnight):
        position.quantity, position.overnight_quantity = int(scaled), int(overnight)
        position.multiplier = multiplier


def _sell_from_holdings(tx: PaperTx, account: PaperRow, order: PaperRow, position: PaperRow | None, price: float,
                        at: datetime) -> int:
    """A CNC sell first closes today's CNC buys, then delivers from holdings; returns what is left
    for the position (negative quantity)."""
    from_today = min(order.quantity, max(position.quantity, 0) if position else 0)
    from_holdings = order.quantity - from_today
    holding = get_holding(tx, account.user_id, order.symbol, order.exchange)
    if from_holdings and holding is not None:
        # the holding's cost was paid at settlement: the sale credits the proceeds, of which the
        # part above cost is realized P&L
        cost = from_holdings * holding.average_price
        book_realized(tx, account, cost, "holding_sale", order.orderid, at)
        book_realized(tx, account, from_holdings * price - cost, "holding_sale_pnl", order.orderid, at)
        # the day's P&L of the sale counts from the close the holding was marked to; a sold-out holding
        # stays at quantity 0 until the rollover records its day (broker/paper/daybook.py)
        holding.day_realized = round(holding.day_realized + from_holdings * (price - holding.close_price), 4)
        holding.quantity -= from_holdings
    return -from_today
