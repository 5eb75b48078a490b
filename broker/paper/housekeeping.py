"""What happens to a paper account as time passes, run lazily at the start of every engine call (and
by the background matcher): resting orders fill when the simulated price crosses them, DAY orders
expire at the end of their IST day, CNC buys become holdings the next day, expired derivatives settle,
and MIS positions are squared off at their segment's square-off time (PAPER_SQUAREOFF_*). Positions
held overnight are marked against the previous close, so the next day's P&L starts from there.

Every step is a pure function of the stored state and the instant `now`, so running it twice, late,
or from several processes gives the same result.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable, Mapping

import numpy as np
from sqlalchemy import bindparam, select

from broker.paper import calendar
from broker.paper.calendar import IST, ist_now
from broker.paper.fills import (book_realized, fill_order, forget_position, get_holding, holdings_of, note_order_event,
                                positions_of)
from broker.paper.instruments import PaperInstrument
from database.paper import HOLDINGS, ORDERS, aware, is_resting
from database.paper_tx import PaperRow, PaperTx

if TYPE_CHECKING:
    from broker.paper.source import Market
from utils.constants import ORDER_STATUS_CANCELLED, ORDER_STATUS_OPEN, ORDER_STATUS_TRIGGER_PENDING

RESTING = (ORDER_STATUS_OPEN, ORDER_STATUS_TRIGGER_PENDING)
IST_OFFSET_SECONDS = 19_800
Lookup = Callable[[str, str], "PaperInstrument | None"]


_RESTING_ORDERS = (select(ORDERS).where(ORDERS.c.user_id == bindparam("uid"), is_resting(ORDERS.c.status))
                   .order_by(ORDERS.c.id))


def resting_orders(tx: PaperTx, user_id: int) -> list[PaperRow]:
    return tx.rows(ORDERS, _RESTING_ORDERS, {"uid": user_id})


def open_positions(tx: PaperTx) -> list[PaperRow]:
    """Positions with a non-zero quantity (for expiry and square-off)."""
    return [p for p in positions_of(tx) if p.quantity != 0]


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=IST)


def slipped(price: float, action: str, slippage: float, tick: float) -> float:
    """A market fill `slippage` beyond `price`, rounded away from the trader to the tick grid."""
    if action == "BUY":
        return round(float(np.ceil(price * (1 + slippage) / tick - 1e-9)) * tick, 6)
    return round(max(float(np.floor(price * (1 - slippage) / tick + 1e-9)) * tick, tick), 6)


def in_session(exchange: str, epochs: np.ndarray) -> np.ndarray:
    """Which of these instants fall in the exchange's regular hours on a trading day (IST); MCX's close
    is that day's (23:30 or 23:55 by the US daylight-saving season)."""
    local = epochs + IST_OFFSET_SECONDS
    second_of_day = local % 86_400
    days = local // 86_400
    mask = np.zeros(epochs.shape, dtype=bool)
    for day in np.unique(days):
        when = date(1970, 1, 1) + timedelta(days=int(day))
        if calendar.is_trading_day(when):
            start, end = calendar.session_hours(exchange, when)
            mask |= ((days == day) & (second_of_day >= start.hour * 3600 + start.minute * 60)
                     & (second_of_day < end.hour * 3600 + end.minute * 60))
    return mask


def match_resting(tx: PaperTx, account: PaperRow, now: datetime, lookup: Lookup,
                  slippage: float, market: "Market", exchange_hours: bool = False) -> None:
    """Fill resting orders the price crossed since their last check; with `exchange_hours` only
    instants inside the exchange's session count."""
    for order in resting_orders(tx, account.user_id):
        inst = lookup(order.symbol, order.exchange)
        if inst is None:
            continue
        created_day = ist_now(aware(order.created_at)).date()
        until = min(now, end_of_day(created_day))          # DAY orders never fill after their day
        since = aware(order.checked_at)
        if until > since:
            _scan(tx, account, order, inst, since, until, slippage, market, exchange_hours)


def _scan(tx: PaperTx, account: PaperRow, order: PaperRow, inst: PaperInstrument,
          since: datetime, until: datetime, slippage: float, market: "Market", exchange_hours: bool) -> None:
    epochs, values = market.price_range(inst, since, until)
    order.checked_at = until.astimezone(timezone.utc)
    if exchange_hours and values.size:
        keep = in_session(inst.exchange, epochs)
        epochs, values = epochs[keep], values[keep]
    if not values.size:
        return
    buy = order.action == "BUY"
    limit_from = 0
    if order.pricetype in ("SL", "SL-M") and not order.triggered:
        hit = values >= order.trigger_price if buy else values <= order.trigger_price
        if not hit.any():
            return
        limit_from = int(np.argmax(hit))
        order.triggered, order.status = True, ORDER_STATUS_OPEN
        if order.pricetype == "SL-M":
            _fill_at(tx, account, order, inst, slipped(float(values[limit_from]), order.action, slippage,
                                                            inst.tick_size), int(epochs[limit_from]))
            return
    window = values[limit_from:]
    crossed = window <= order.price if buy else window >= order.price
    if not crossed.any():
        return
    index = int(np.argmax(crossed))
    fill = order.price
    if index == 0 and limit_from:  # stop-limit that is marketable the moment it triggers
        fill = min(order.price, float(window[0])) if buy else max(order.price, float(window[0]))
    _fill_at(tx, account, order, inst, fill, int(epochs[limit_from + index]))


def _fill_at(tx: PaperTx, account: PaperRow, order: PaperRow, inst: PaperInstrument,
             price: float, epoch: int) -> None:
    at = datetime.fromtimestamp(epoch, tz=timezone.utc)   # stored in UTC (SQLite keeps no offset)
    fill_order(tx, account, order, inst, price, at, ist_now(at).date())


def settle_new_day(tx: PaperTx, account: PaperRow, today: date, now: datetime,
                   close_of: Callable[[str, str], float | None]) -> None:
    """First call of a new IST day: expire yesterday's orders, move CNC buys to holdings, carry the
    other open positions forward (marked against the previous close), roll P&L."""
    if account.trading_day >= today:
        return
    start = datetime.combine(today, time(0, 0), tzinfo=IST)
    for order in resting_orders(tx, account.user_id):
        if aware(order.created_at) < start:
            _cancel(tx, order, "Order expired at the end of its trading day", now)
    _mark_holdings(tx, account.user_id, close_of)
    for position in positions_of(tx):
        if position.trading_day >= today:
            continue
        if position.product == "CNC" and position.quantity > 0:
            _to_holdings(tx, account, position, today, now, close_of(position.symbol, position.exchange))
        if position.quantity == 0 or position.product == "CNC":
            forget_position(tx, position)
        else:
            _carry_forward(position, today, close_of(position.symbol, position.exchange))
    account.realized_today, account.charges_today, account.trading_day = 0.0, 0.0, today


def _carry_forward(position: PaperRow, today: date, close: float | None) -> None:
    """An open NRML / MIS position enters `today`: today's P&L is counted from the previous close (as a
    broker's M2M is), its total P&L still from the average price."""
    close = close or position.average_price    # no price known: nothing to mark against
    position.overnight_quantity, position.close_price = position.quantity, round(close, 4)
    units = position.quantity * float(position.multiplier or 1.0)
    position.carry_pnl = round(units * (close - position.average_price), 4)
    position.realized_pnl, position.trading_day = 0.0, today


def _mark_holdings(tx: PaperTx, user_id: int, close_of: Callable[[str, str], float | None]) -> None:
    """The day that ended is recorded: holdings sold out that day go; the others are marked to its
    close, which the next day's P&L counts from (no price known: the old mark stays)."""
    for holding in holdings_of(tx, user_id):
        if holding.quantity == 0:
            tx.delete(holding)
            continue
        holding.close_price = round(close_of(holding.symbol, holding.exchange) or holding.close_price, 4)
        holding.day_realized = 0.0


def _to_holdings(tx: PaperTx, account: PaperRow, position: PaperRow, today: date,
                 now: datetime, close: float | None) -> None:
    """A CNC buy of the day that ended settles into holdings, marked to that day's close (its buy day
    was recorded against it; no price known: against its price, as the record counted it unchanged)."""
    cost = position.quantity * position.average_price
    mark = close or position.average_price
    holding = get_holding(tx, account.user_id, position.symbol, position.exchange)
    if holding is None:
        tx.add(HOLDINGS, user_id=account.user_id, symbol=position.symbol, exchange=position.exchange,
               quantity=position.quantity, average_price=position.average_price, settled_on=today,
               close_price=round(mark, 4), day_realized=0.0)
    else:
        total = holding.quantity + position.quantity
        holding.average_price = round((holding.quantity * holding.average_price + cost) / total, 4)
        holding.close_price = round((holding.quantity * holding.close_price + position.quantity * mark) / total, 4)
        holding.quantity, holding.settled_on = total, today
    book_realized(tx, account, -cost, "settlement", position.symbol, now)


def settle_expired_orders(tx: PaperTx, account: PaperRow, now: datetime, lookup: Lookup) -> None:
    """Resting orders for derivatives past expiry are cancelled."""
    for order in resting_orders(tx, account.user_id):
        inst = lookup(order.symbol, order.exchange)
        if inst is not None and inst.expiry_epoch and now.timestamp() >= inst.expiry_epoch:
            _cancel(tx, order, f"{order.symbol} expired", now)


_SEGMENTS = {"NFO": "fno", "BFO": "fno", "CDS": "currency", "BCD": "currency",
             "MCX": "commodity", "NCO": "commodity", "NCDEX": "commodity", "MCX_INDEX": "commodity"}


def _hhmm(value: Any, default: time | None) -> time | None:
    if not value:
        return default
    hours, minutes = str(value).split(":")
    return time(int(hours), int(minutes))


@dataclass(frozen=True)
class SquareOffTimes:
    """When open MIS positions are squared off, per segment (IST), a few minutes before each
    exchange's close as brokers do: NSE/BSE cash 15:30, F&O 15:30, currency 17:00. MCX closes its
    internationally linked commodities at 23:30 while the US is on daylight-saving time and at 23:55
    otherwise (MCX circulars revise the hours twice a year), so with no fixed `commodity` time the
    commodity square-off is `commodity_before` minutes before that day's close (utils.market_calendar)."""
    equity: time = time(15, 15)
    fno: time = time(15, 15)
    currency: time = time(16, 45)
    commodity: time | None = None
    commodity_before: int = 10

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> "SquareOffTimes":
        return cls(equity=_hhmm(settings.get("PAPER_SQUAREOFF_TIME"), cls.equity),
                   fno=_hhmm(settings.get("PAPER_SQUAREOFF_FNO"), cls.fno),
                   currency=_hhmm(settings.get("PAPER_SQUAREOFF_CDS"), cls.currency),
                   commodity=_hhmm(settings.get("PAPER_SQUAREOFF_MCX"), cls.commodity),
                   commodity_before=int(settings.get("PAPER_SQUAREOFF_MCX_BEFORE") or cls.commodity_before))

    def of(self, exchange: str, day: date) -> time:
        """The square-off time of `exchange`'s segment on the IST day `day`."""
        segment = _SEGMENTS.get(exchange, "equity")
        if segment == "commodity" and self.commodity is None:
            close = datetime.combine(day, calendar.commodity_close(day))
            return (close - timedelta(minutes=self.commodity_before)).time()
        return getattr(self, segment)

    def passed(self, exchange: str, now: datetime) -> bool:
        """Whether today's square-off of `exchange`'s segment has passed at `now`."""
        local = ist_now(now)
        return local.time() >= self.of(exchange, local.date())

    def last(self, exchange: str, now: datetime) -> datetime:
        """The latest square-off instant of `exchange`'s segment at or before `now` (today's or yesterday's)."""
        local = ist_now(now)
        today = datetime.combine(local.date(), self.of(exchange, local.date()), tzinfo=IST)
        if local >= today:
            return today
        yesterday = local.date() - timedelta(days=1)
        return datetime.combine(yesterday, self.of(exchange, yesterday), tzinfo=IST)

    def next(self, exchange: str, after: datetime) -> datetime:
        """The first square-off instant of `exchange`'s segment after `after` (that day's or the next's)."""
        local = ist_now(after)
        that_day = datetime.combine(local.date(), self.of(exchange, local.date()), tzinfo=IST)
        if local < that_day:
            return that_day
        following = local.date() + timedelta(days=1)
        return datetime.combine(following, self.of(exchange, following), tzinfo=IST)


def due_for_squareoff(positions: list[PaperRow], now: datetime,
                      times: SquareOffTimes) -> list[tuple[PaperRow, datetime]]:
    """Of these positions, the open MIS ones whose segment's square-off instant after they were opened
    or last changed has passed, each with that instant: an intraday position is closed on its own day,
    even when no call came for days (its P&L and its day in the history are that day's)."""
    due = []
    for position in positions:
        if position.product != "MIS" or position.quantity == 0:
            continue
        cutoff = times.next(position.exchange, aware(position.updated_at))
        if cutoff <= now:
            due.append((position, cutoff))
    return due


def cancel_stale_mis_orders(tx: PaperTx, user_id: int, now: datetime, times: SquareOffTimes) -> None:
    for order in resting_orders(tx, user_id):
        if order.product == "MIS" and aware(order.created_at) < times.last(order.exchange, now):
            _cancel(tx, order, "Cancelled at the intraday square-off time", now)


def _cancel(tx: PaperTx, order: PaperRow, reason: str, now: datetime) -> None:
    note_order_event(tx)
    order.status, order.margin_blocked, order.updated_at = ORDER_STATUS_CANCELLED, 0.0, now
    order.rejection_reason = reason[:255]
