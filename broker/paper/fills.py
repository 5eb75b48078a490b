"""How one fill changes a paper account: the trade row, the order, the position or holding, the funds.

Runs inside `database.paper.locked_account`, on that session. Realized P&L moves the account balance
(and is written to the funds ledger); position margin is recomputed from the position after the fill,
so "funds used" always equals the margin of open positions plus that blocked by resting orders.
"""
from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.paper.calendar import ist_now
from broker.paper.instruments import PaperInstrument
from broker.paper.margins import position_margin
from database.paper import PaperAccount, PaperHolding, PaperLedgerEntry, PaperOrder, PaperPosition, PaperTrade
from utils.constants import ORDER_STATUS_COMPLETE


def new_id(session: Session, column, at: datetime) -> str:  # noqa: ANN001 (an ORM column)
    """A broker-style id: `YYMMDD` (IST) + 8 random digits, 14 digits, unique in its table."""
    prefix = ist_now(at).strftime("%y%m%d")
    while True:
        candidate = f"{prefix}{secrets.randbelow(10**8):08d}"
        if session.scalar(select(column).where(column == candidate)) is None:
            return candidate


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


def book_realized(session: Session, account: PaperAccount, amount: float, kind: str, reference: str,
                  at: datetime) -> None:
    if not amount:
        return
    account.balance = round(account.balance + amount, 4)
    if kind in ("realized_pnl", "holding_sale_pnl", "expiry"):
        account.realized_today = round(account.realized_today + amount, 4)
        account.realized_total = round(account.realized_total + amount, 4)
    session.add(PaperLedgerEntry(user_id=account.user_id, kind=kind, amount=round(amount, 4),
                                 balance_after=account.balance, reference=reference, created_at=at))


def get_position(session: Session, user_id: int, symbol: str, exchange: str, product: str) -> PaperPosition | None:
    return session.scalar(select(PaperPosition).where(
        PaperPosition.user_id == user_id, PaperPosition.symbol == symbol,
        PaperPosition.exchange == exchange, PaperPosition.product == product))


def get_holding(session: Session, user_id: int, symbol: str, exchange: str) -> PaperHolding | None:
    return session.scalar(select(PaperHolding).where(
        PaperHolding.user_id == user_id, PaperHolding.symbol == symbol, PaperHolding.exchange == exchange))


def fill_order(session: Session, account: PaperAccount, order: PaperOrder, inst: PaperInstrument,
               price: float, at: datetime, today: date) -> None:
    """Fill `order` completely at `price` at instant `at`."""
    price = round(price, 4)
    session.add(PaperTrade(user_id=account.user_id, tradeid=new_id(session, PaperTrade.tradeid, at),
                           orderid=order.orderid, strategy=order.strategy, symbol=order.symbol,
                           exchange=order.exchange, product=order.product, action=order.action,
                           quantity=order.quantity, price=price, created_at=at))
    order.status, order.filled_quantity, order.average_price = ORDER_STATUS_COMPLETE, order.quantity, price
    order.margin_blocked, order.updated_at = 0.0, at
    signed = order.quantity if order.action == "BUY" else -order.quantity
    position = get_position(session, account.user_id, order.symbol, order.exchange, order.product)
    if order.product == "CNC" and signed < 0:
        signed = _sell_from_holdings(session, account, order, position, price, at)
        if signed == 0:
            return
    if position is None:
        position = PaperPosition(user_id=account.user_id, symbol=order.symbol, exchange=order.exchange,
                                 product=order.product, quantity=0, average_price=0.0, realized_pnl=0.0,
                                 margin_blocked=0.0, trading_day=today, updated_at=at)
        session.add(position)
    quantity, average, realized = position_after(position.quantity, position.average_price, signed, price)
    position.quantity, position.average_price = quantity, round(average, 4)
    position.realized_pnl = round(position.realized_pnl + realized, 4)
    position.margin_blocked = round(position_margin(inst, order.product, quantity, average), 4)
    position.trading_day, position.updated_at = today, at
    book_realized(session, account, realized, "realized_pnl", order.orderid, at)


def _sell_from_holdings(session: Session, account: PaperAccount, order: PaperOrder,
                        position: PaperPosition | None, price: float, at: datetime) -> int:
    """A CNC sell first closes today's CNC buys, then delivers from holdings; returns what is left
    for the position (negative quantity)."""
    from_today = min(order.quantity, max(position.quantity, 0) if position else 0)
    from_holdings = order.quantity - from_today
    holding = get_holding(session, account.user_id, order.symbol, order.exchange)
    if from_holdings and holding is not None:
        # the holding's cost was paid at settlement: the sale credits the proceeds, of which the
        # part above cost is realized P&L
        cost = from_holdings * holding.average_price
        book_realized(session, account, cost, "holding_sale", order.orderid, at)
        book_realized(session, account, from_holdings * price - cost, "holding_sale_pnl", order.orderid, at)
        holding.quantity -= from_holdings
        if holding.quantity == 0:
            session.delete(holding)
    return -from_today
