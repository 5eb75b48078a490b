"""The paper broker's order engine: place / modify / cancel, books, positions, holdings and funds.

Every call runs in one transaction holding the user's paper-account lock (`locked_account`), first
bringing the account up to `now` (`housekeeping`: resting orders that the simulated price crossed are
filled, DAY orders expire, CNC buys settle into holdings, MIS positions are squared off), then doing
its work. The clock is the app's (PluginConfig.clock), so tests move time instead of waiting. Market
data comes from the deterministic price process, so any process computes the same fills.

Fills: MARKET at the touch (ask for BUY, bid for SELL) moved PAPER_SLIPPAGE against the trader;
LIMIT at once when marketable (at the touch, never worse than the limit), otherwise at the limit price
when the last price crosses it; SL / SL-M wait in `trigger pending` until the last price reaches the
trigger, then behave as LIMIT / MARKET. Rejections are stored on the order (status `rejected`, with
the reason) and raised as `InvalidOrder` / `InsufficientFunds` after the transaction commits.
"""
from __future__ import annotations

import functools
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from typing import Any, Callable, Iterator, Mapping

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError

from broker.contract import OrderEvent
from broker.errors import (AuthError, BrokerError, InsufficientFunds, InvalidOrder, OrderNotFound, OrderRejected,
                           TransientError, UnknownSymbol)
from broker.paper import daybook, gtt, housekeeping, settlement
from broker.paper.calendar import IST, ist_now, ist_stamp
from broker.paper.fills import (fill_order, get_holding, get_position, load_positions, new_id, note_resting,
                               order_events)
from broker.paper.housekeeping import RESTING, SquareOffTimes, slipped
from broker.paper.instruments import Catalog, PaperInstrument, catalog
from broker.paper.margins import MarginRates, incremental_margin
from broker.paper.portfolio import Snapshot, build_snapshot, used_margin
from broker.paper.source import Market, SimulatedMarket
from broker.paper.rules import OrderTerms, check_instrument, check_prices, check_quantity, check_session
from database import paper as store
from database import paper_pnl
from database.paper import GTT_ACTIVE, LEDGER, ORDERS, TRADES, is_resting
from database.paper_tx import PaperRow, PaperTx
from utils.clock import system_now
from utils.errors import DomainError, ServiceBusy
from utils.logging import get_logger
from utils.constants import ORDER_STATUS_CANCELLED, ORDER_STATUS_OPEN, ORDER_STATUS_REJECTED, \
    ORDER_STATUS_TRIGGER_PENDING

log = get_logger(__name__)
SQUAREOFF_STRATEGY = "auto square-off"
INSUFFICIENT_FUNDS = "Insufficient funds"


@dataclass(frozen=True)
class EngineSettings:
    capital: float = 10_000_000.0
    slippage: float = 0.0005
    session: str = "always"
    squareoff: SquareOffTimes = field(default_factory=SquareOffTimes)
    seed: int = 0
    margins: MarginRates = field(default_factory=MarginRates)
    charges: bool = False          # PAPER_CHARGES: fills pay brokerage, taxes and fees (charges.py)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> "EngineSettings":
        return cls(capital=float(settings.get("PAPER_CAPITAL", cls.capital)),
                   slippage=float(settings.get("PAPER_SLIPPAGE", cls.slippage)),
                   session=str(settings.get("PAPER_SESSION", cls.session)),
                   squareoff=SquareOffTimes.from_settings(settings),
                   seed=int(settings.get("PAPER_SEED", 0) or 0),
                   margins=MarginRates.from_settings(settings),
                   charges=str(settings.get("PAPER_CHARGES", "")).strip().lower() in ("1", "true", "yes", "on"))


def _day_start_utc(now: datetime) -> datetime:
    local = ist_now(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(timezone.utc)


def _sells_holdings(order: PaperRow) -> bool:
    return order.product == "CNC" and order.action == "SELL"


_WAITING_CNC_SELLS = select(func.coalesce(func.sum(ORDERS.c.quantity), 0)).where(
    ORDERS.c.user_id == bindparam("uid"), ORDERS.c.symbol == bindparam("symbol"),
    ORDERS.c.exchange == bindparam("exchange"), ORDERS.c.product == "CNC", ORDERS.c.action == "SELL",
    is_resting(ORDERS.c.status), ORDERS.c.orderid != bindparam("orderid"))
_ORDER_BY_ID = select(ORDERS).where(ORDERS.c.user_id == bindparam("uid"), ORDERS.c.orderid == bindparam("orderid"))
_ORDERS_SINCE = (select(ORDERS).where(ORDERS.c.user_id == bindparam("uid"),
                                      or_(ORDERS.c.created_at >= bindparam("start"),
                                          ORDERS.c.updated_at >= bindparam("start")))
                 .order_by(ORDERS.c.id))
_TRADES_SINCE = (select(TRADES).where(TRADES.c.user_id == bindparam("uid"), TRADES.c.created_at >= bindparam("start"))
                 .order_by(TRADES.c.id))


class _Refused(Exception):
    """Aborts a modification's transaction so the order stays as it was."""


@dataclass
class _Rejection:
    reason: str
    orderid: str

    def error(self) -> OrderRejected:
        kind = InsufficientFunds if self.reason.startswith(INSUFFICIENT_FUNDS) else InvalidOrder
        return kind(self.reason, broker="paper", raw={"orderid": self.orderid})


def _retry_id_clash(method: Callable) -> Callable:
    """Run an engine call again when its transaction was refused by a unique constraint: a random
    order or trade id (`fills.new_id`) clashed with a stored one. The refused transaction was rolled
    back as a whole, so running it again is safe."""
    @functools.wraps(method)
    def wrapper(self: "PaperEngine", *args: Any, **kwargs: Any) -> Any:
        for attempt in range(_ID_ATTEMPTS):
            try:
                return method(self, *args, **kwargs)
            except IntegrityError:
                if attempt == _ID_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")
    return wrapper


_ID_ATTEMPTS = 3
# an order row written with one of these changed is news for its owner (checked_at, margin are not)
_EVENT_COLUMNS = frozenset({"status", "quantity", "filled_quantity", "average_price", "price", "trigger_price",
                            "pricetype", "rejection_reason"})


def order_event(row: PaperRow) -> OrderEvent:
    """A stored paper order as an order-update event (its time is the order's last change, IST)."""
    return OrderEvent(order_id=row.orderid, symbol=row.symbol, exchange=row.exchange, action=row.action,
                      quantity=row.quantity, status=row.status, pricetype=row.pricetype, product=row.product,
                      filled_quantity=row.filled_quantity, pending_quantity=row.quantity - row.filled_quantity,
                      average_price=round(row.average_price, 2), price=round(row.price, 2),
                      trigger_price=round(row.trigger_price, 2), rejection_reason=row.rejection_reason or "",
                      exchange_timestamp=ist_stamp(row.updated_at), strategy=row.strategy or "")


DAY_CHANGE_RETRY_SECONDS = 5


def _day_change_failed(exc: BrokerError, symbol: str, exchange: str) -> DomainError:
    """The error a call gets when the sandbox's day change needs the live broker's closing price and the
    broker does not give it. The call's transaction rolls back, so the day-end record and the
    carry-forward wait, whole, for a call that gets the price: an expired session stays a 403 (reconnect),
    a broker that is down or throttles is a 503 to try again (it is not this server failing)."""
    broker = exc.broker or "the live broker"
    message = (f"Your sandbox is starting a new trading day and needs {broker}'s closing price of {symbol} "
               f"({exchange}) first; {broker} did not give it: {exc.message} Nothing was changed")
    if isinstance(exc, AuthError):
        return exc.reworded(f"{message}; reconnect {broker} and try again.")
    return ServiceBusy(f"{message}; try again in a moment.", retry_after=DAY_CHANGE_RETRY_SECONDS)


class PaperEngine:
    def __init__(self, settings: EngineSettings | None = None, clock: Callable[[], datetime] = system_now,
                 bind: Any = None, on_event: Callable[[int, OrderEvent], None] | None = None,
                 market: Market | None = None):
        """`bind`: a SQLAlchemy engine to use outside a Flask app context (the background matcher);
        by default the app's database engine. `on_event(user_id, event)`: told of every order a call
        placed, changed, filled or ended, after its transaction committed (PluginConfig.on_order_event).
        `market`: where instruments and prices come from (default: the simulated market)."""
        self.settings = settings or EngineSettings()
        self.market: Market = market or SimulatedMarket(self.settings.seed)
        self.clock = clock
        self.bind = bind
        self.on_event = on_event

    def _emit(self, user_id: int, tx: PaperTx) -> None:
        if self.on_event is None:
            return
        for row, columns in tx.written.values():
            if row._table is ORDERS and ("*" in columns or not columns.isdisjoint(_EVENT_COLUMNS)):
                self.on_event(user_id, order_event(row))

    # ------------------------------------------------------------------------------------- market
    def now(self) -> datetime:
        return self.clock().astimezone(timezone.utc)   # stored in UTC (SQLite keeps no offset)

    def catalog(self, at: datetime | None = None) -> Catalog:
        return catalog(ist_now(at or self.now()).date(), self.settings.seed)

    def on_market(self, market: Market, bind: Any = None) -> "PaperEngine":
        """This engine (same settings, clock and events) filling at another market."""
        return PaperEngine(self.settings, clock=self.clock, bind=bind if bind is not None else self.bind,
                           on_event=self.on_event, market=market)

    @property
    def slippage(self) -> float:
        """PAPER_SLIPPAGE models the simulated book's depth; a live market's touch is real (no slippage)."""
        return self.settings.slippage if self.market.simulated else 0.0

    def lookup(self, symbol: str, exchange: str, at: datetime | None = None) -> PaperInstrument | None:
        return self.market.lookup(symbol, exchange, at or self.now())

    def instrument(self, symbol: str, exchange: str) -> PaperInstrument:
        found = self.lookup(symbol, exchange)
        if found is None:
            raise UnknownSymbol(f"Symbol '{symbol}' not found for exchange '{exchange}'", broker="paper")
        return found

    def quote(self, inst: PaperInstrument, at: datetime | None = None) -> dict:
        return self.market.quote(inst, at or self.now())

    # ------------------------------------------------------------------------------------- state
    @contextmanager
    def _account(self, user_id: int) -> Iterator[tuple[PaperTx, PaperRow, datetime]]:
        now = self.now()
        self.market.prepare(user_id, now, self.bind)   # a live market asks its broker now, not under the lock
        # The account almost always exists: take its lock first, and create it only when there was
        # nothing to lock (then lock again), instead of checking for it in a separate transaction.
        for _attempt in range(2):
            with store.locked_account(user_id, self.bind) as locked:
                if locked.account is not None:
                    self._catch_up(locked.tx, locked.account, now, locked.has_resting, locked.has_gtt)
                    yield locked.tx, locked.account, now
            if locked.account is not None:   # committed: tell subscribers what changed
                self._emit(user_id, locked.tx)
                return
            store.ensure_account(user_id, self.settings.capital, ist_now(now).date(), now, self.bind)
        raise RuntimeError(f"paper account of user {user_id} could not be created")

    def _catch_up(self, tx: PaperTx, account: PaperRow, now: datetime, has_resting: bool,
                  has_gtt: bool = False) -> None:
        today = ist_now(now).date()
        lookup = lambda symbol, exchange: self.lookup(symbol, exchange, now)  # noqa: E731
        load_positions(tx, account.user_id, has_resting, self.settings.margins, self.settings.charges)
        # No step below creates a resting order, so with none at the start every step over resting
        # orders has nothing to do.
        if has_resting:
            housekeeping.match_resting(tx, account, now, lookup, self.slippage, self.market,
                                       exchange_hours=self.settings.session == "exchange")
        # what belongs to the days before today (expiries, square-offs) first, then the new day
        self._settle_positions(tx, account, now, lookup)
        self._roll_over(tx, account, today, now, lookup)
        if has_resting:
            housekeeping.settle_expired_orders(tx, account, now, lookup)
            housekeeping.cancel_stale_mis_orders(tx, account.user_id, now, self.settings.squareoff)
        if has_gtt:
            gtt.check(tx, account.user_id, now, lookup, self.market,
                      lambda row, leg, at: self._gtt_order(tx, account, row, leg, at),
                      exchange_hours=self.settings.session == "exchange")
            self._settle_positions(tx, account, now, lookup)   # a GTT's fill may be due already

    def _settle_positions(self, tx: PaperTx, account: PaperRow, now: datetime,
                          lookup: Callable[[str, str], PaperInstrument | None]) -> None:
        """Expired derivatives settle; MIS positions past their segment's square-off are closed."""
        open_positions = housekeeping.open_positions(tx)
        settlement.settle_expired_positions(tx, account, open_positions, now, lookup, self.market)
        for position, cutoff in housekeeping.due_for_squareoff(open_positions, now, self.settings.squareoff):
            inst = self.lookup(position.symbol, position.exchange, now)
            if inst is not None:
                # the simulated market knows the price at the square-off instant, so a late check (the
                # server was down) closes the position there; a live market only knows its price now
                at = cutoff.astimezone(timezone.utc) if self.market.simulated else now   # stored in UTC
                self._square_off(tx, account, position, inst, at)

    def _roll_over(self, tx: PaperTx, account: PaperRow, today: date, now: datetime,
                   lookup: Callable[[str, str], PaperInstrument | None]) -> None:
        """Each IST day that ended since the account's last call, in order: record it in the P&L history,
        then settle it. Day by day, so a day nobody called on (positions or holdings held, no order) is
        recorded at its own close. Open positions and holdings are recorded at the close the next day's
        P&L counts from, so the recorded days add up."""
        closes: dict[tuple[str, str, date | None], float | None] = {}   # asked once: the history and the carry agree
        for next_day in daybook.days_to_roll(account.trading_day, today):
            close_of = functools.partial(self._close_before, closes, lookup, next_day, now)
            daybook.close_day(tx, account, next_day, now, close_of)
            housekeeping.settle_new_day(tx, account, next_day, now, close_of)

    def _close_before(self, closes: dict[tuple[str, str, date | None], float | None],
                      lookup: Callable[[str, str], PaperInstrument | None], next_day: date, now: datetime,
                      symbol: str, exchange: str) -> float | None:
        """The last price before `next_day` began. The simulated market knows every past day's; a live
        market only its latest close, so there it is asked once for all the days rolled now."""
        key = (symbol, exchange, next_day if self.market.simulated else None)
        if key not in closes:
            try:
                inst = lookup(symbol, exchange)
                closes[key] = self.market.close_before(inst, datetime.combine(next_day, time(0, 0), IST), now) \
                    if inst else None
            except (AuthError, TransientError) as exc:   # the live broker did not answer: roll over later
                raise _day_change_failed(exc, symbol, exchange) from exc
            except Exception:  # noqa: BLE001 — a price the market cannot give must not hold up the rollover
                log.warning("no closing price of %s %s: its day is recorded unmarked", symbol, exchange, exc_info=True)
                closes[key] = None
        return closes[key]

    @_retry_id_clash
    def process(self, user_id: int) -> bool:
        """Bring the account up to now (the background matcher calls this); True when an order was
        filled or ended on the way."""
        with self._account(user_id) as (tx, _account, _now):
            return order_events(tx) > 0

    # ------------------------------------------------------------------------------------- orders
    @_retry_id_clash
    def place(self, user_id: int, *, symbol: str, exchange: str, action: str, quantity: int,
              product: str = "MIS", pricetype: str = "MARKET", price: float = 0.0, trigger_price: float = 0.0,
              strategy: str = "", tag: str = "") -> PaperRow:
        """Place an order; returns the stored order (complete, open, trigger pending) or raises the
        rejection after storing the rejected order."""
        inst = self.instrument(symbol, exchange)
        terms = OrderTerms(action.upper(), int(quantity), product, pricetype, float(price or 0), float(trigger_price or 0))
        rejection = None
        with self._account(user_id) as (tx, account, now):
            order, reason = self._new_order(tx, account, inst, terms, now, strategy=strategy, tag=tag)
            if reason:
                rejection = _Rejection(reason, order.orderid)
        if rejection:
            raise rejection.error()
        return order

    def _new_order(self, tx: PaperTx, account: PaperRow, inst: PaperInstrument, terms: OrderTerms, now: datetime,
                   *, strategy: str = "", tag: str = "") -> tuple[PaperRow, str | None]:
        """Store a new order, check and match it; a refused one is stored as rejected (reason returned)."""
        order = tx.add(ORDERS, user_id=account.user_id, orderid=new_id(now), strategy=strategy[:100], tag=tag[:20],
                       symbol=inst.symbol, exchange=inst.exchange, action=terms.action, quantity=terms.quantity,
                       price=terms.price if terms.pricetype != "MARKET" else 0.0, trigger_price=terms.trigger_price,
                       pricetype=terms.pricetype, product=terms.product, status=ORDER_STATUS_OPEN, filled_quantity=0,
                       average_price=0.0, margin_blocked=0.0, rejection_reason="", triggered=False,
                       checked_at=now, created_at=now, updated_at=now)
        reason = self._admit(tx, account, order, inst, terms, now)
        if reason:
            order.status, order.rejection_reason = ORDER_STATUS_REJECTED, reason[:255]
        return order, reason

    def _gtt_order(self, tx: PaperTx, account: PaperRow, row: PaperRow, leg: dict, at: datetime) -> PaperRow:
        """The order of a GTT leg whose trigger the price crossed at `at`."""
        inst = self.lookup(row.symbol, row.exchange, at)
        terms = OrderTerms(row.action, int(row.quantity), row.product, leg["pricetype"], float(leg["price"] or 0), 0.0)
        order, _reason = self._new_order(tx, account, inst, terms, at, strategy=row.strategy, tag=row.trigger_id)
        return order

    def _admit(self, tx: PaperTx, account: PaperRow, order: PaperRow, inst: PaperInstrument,
               terms: OrderTerms, now: datetime) -> str | None:
        """Check the order, block its margin and fill it when it is marketable; the reason on refusal."""
        quote = self.market.quote(inst, now) if inst.tradable else {}
        squareoff_passed = self.settings.squareoff.passed(inst.exchange, now)
        reason = (check_instrument(inst, terms, now) or check_quantity(inst, terms)
                  or check_prices(inst, terms, quote["ltp"], quote["prev_close"])
                  or check_session(inst, terms, now, self.settings.session, squareoff_passed)
                  or self._check_holdings(tx, account.user_id, order, terms))
        if reason:
            return reason
        estimate = self._estimate_price(order, quote)
        position = get_position(tx, order.symbol, order.exchange, order.product)
        signed = terms.quantity if terms.action == "BUY" else -terms.quantity
        needed = 0.0 if _sells_holdings(order) else incremental_margin(
            inst, order.product, position.quantity if position else 0,
            position.average_price if position else 0.0, signed, estimate, self.settings.margins)
        available = self.available_cash(tx, account)
        if needed > available + 1e-6:
            return (f"{INSUFFICIENT_FUNDS}: the order needs margin of {needed:,.2f} INR but only "
                    f"{available:,.2f} INR is available")
        self._activate(tx, account, order, inst, quote, needed, now)
        return None

    def _activate(self, tx: PaperTx, account: PaperRow, order: PaperRow, inst: PaperInstrument,
                  quote: dict, margin: float, now: datetime) -> None:
        buy = order.action == "BUY"
        touch = quote["ask"] if buy else quote["bid"]
        if order.pricetype == "MARKET":
            fill_order(tx, account, order, inst, slipped(touch, order.action, self.slippage,
                                                              inst.tick_size), now, ist_now(now).date())
        elif order.pricetype == "LIMIT" and (order.price >= touch if buy else order.price <= touch):
            fill_order(tx, account, order, inst, touch, now, ist_now(now).date())
        else:
            order.status = ORDER_STATUS_OPEN if order.pricetype == "LIMIT" else ORDER_STATUS_TRIGGER_PENDING
            order.margin_blocked, order.checked_at = round(margin, 4), now
            note_resting(tx)

    @staticmethod
    def _estimate_price(order: PaperRow, quote: dict) -> float:
        if order.pricetype in ("LIMIT", "SL"):
            return order.price
        if order.pricetype == "SL-M":
            return order.trigger_price
        return quote["ask"] if order.action == "BUY" else quote["bid"]

    def _check_holdings(self, tx: PaperTx, user_id: int, order: PaperRow, terms: OrderTerms) -> str | None:
        """CNC sells need shares: today's CNC buys plus holdings, less CNC sells already waiting."""
        if not _sells_holdings(order):
            return None
        holding = get_holding(tx, user_id, order.symbol, order.exchange)
        position = get_position(tx, order.symbol, order.exchange, "CNC")
        waiting = tx.scalar(_WAITING_CNC_SELLS, {"uid": user_id, "symbol": order.symbol,
                                                      "exchange": order.exchange, "orderid": order.orderid})
        sellable = (holding.quantity if holding else 0) + max(position.quantity if position else 0, 0) - waiting
        if terms.quantity > sellable:
            return (f"Insufficient holdings: you can sell at most {max(sellable, 0)} {order.symbol} with CNC "
                    f"(short selling needs MIS)")
        return None

    @_retry_id_clash
    def modify(self, user_id: int, orderid: str, *, quantity: int, pricetype: str, price: float,
               trigger_price: float) -> PaperRow:
        """Change an open or trigger-pending order; it is checked and matched again like a new one.
        A refused modification leaves the order as it was and raises the reason."""
        try:
            with self._account(user_id) as (tx, account, now):
                order = self._resting_order(tx, user_id, orderid)
                inst = self.instrument(order.symbol, order.exchange)
                terms = OrderTerms(order.action, int(quantity), order.product, pricetype, float(price or 0),
                                   float(trigger_price or 0))
                order.margin_blocked = 0.0   # its own block must not count against its new margin
                order.quantity, order.pricetype, order.triggered = terms.quantity, pricetype, False
                order.price = terms.price if pricetype != "MARKET" else 0.0
                order.trigger_price, order.updated_at = terms.trigger_price, now
                reason = self._admit(tx, account, order, inst, terms, now)
                if reason:
                    raise _Refused(reason)
        except _Refused as refused:
            raise _Rejection(str(refused), orderid).error() from None
        return order

    @_retry_id_clash
    def cancel(self, user_id: int, orderid: str) -> PaperRow:
        with self._account(user_id) as (tx, account, now):
            order = self._resting_order(tx, user_id, orderid)
            order.status, order.margin_blocked, order.updated_at = ORDER_STATUS_CANCELLED, 0.0, now
        return order

    @_retry_id_clash
    def cancel_all(self, user_id: int) -> list[PaperRow]:
        with self._account(user_id) as (tx, account, now):
            orders = housekeeping.resting_orders(tx, user_id)
            for order in orders:
                order.status, order.margin_blocked, order.updated_at = ORDER_STATUS_CANCELLED, 0.0, now
        return orders

    def _resting_order(self, tx: PaperTx, user_id: int, orderid: str) -> PaperRow:
        order = tx.first(ORDERS, _ORDER_BY_ID, {"uid": user_id, "orderid": orderid})
        if order is None:
            raise OrderNotFound(f"Order {orderid} not found", broker="paper")
        if order.status not in RESTING:
            raise OrderRejected(f"Order {orderid} is already {order.status} and cannot be changed", broker="paper")
        return order

    @_retry_id_clash
    def close_all(self, user_id: int) -> list[PaperRow]:
        """Square off every open position at market."""
        closed = []
        with self._account(user_id) as (tx, account, now):
            for position in housekeeping.open_positions(tx):
                inst = self.lookup(position.symbol, position.exchange, now)
                if inst is not None and inst.tradable:
                    closed.append(self._square_off(tx, account, position, inst, now, strategy="close all"))
        return closed

    def _square_off(self, tx: PaperTx, account: PaperRow, position: PaperRow,
                    inst: PaperInstrument, now: datetime, strategy: str = SQUAREOFF_STRATEGY) -> PaperRow:
        action = "SELL" if position.quantity > 0 else "BUY"
        order = tx.add(ORDERS, user_id=account.user_id, orderid=new_id(now), strategy=strategy, tag="",
                       symbol=position.symbol, exchange=position.exchange, action=action,
                       quantity=abs(position.quantity), price=0.0, trigger_price=0.0, pricetype="MARKET",
                       product=position.product, status=ORDER_STATUS_OPEN, filled_quantity=0,
                       average_price=0.0, margin_blocked=0.0, rejection_reason="", triggered=False,
                       checked_at=now, created_at=now, updated_at=now)
        quote = self.market.quote(inst, now)
        touch = quote["ask"] if action == "BUY" else quote["bid"]
        fill_order(tx, account, order, inst, slipped(touch, action, self.slippage, inst.tick_size),
                   now, ist_now(now).date())
        return order

    # ------------------------------------------------------------------------------------- GTT
    @_retry_id_clash
    def place_gtt(self, user_id: int, *, symbol: str, exchange: str, trigger_type: str, action: str, quantity: int,
                  product: str, legs: list[dict], strategy: str = "", expires_at: datetime | None = None) -> PaperRow:
        """Store an active GTT (legs: role, trigger_price, price, pricetype; stop-loss first); raises
        InvalidOrder when a trigger is already crossed at the current price."""
        inst = self.instrument(symbol, exchange)
        with self._account(user_id) as (tx, account, now):
            ltp = self.quote(inst, now)["ltp"]
            self._check_gtt(inst, trigger_type, int(quantity), legs, ltp)
            return tx.add(gtt.GTTS, user_id=user_id, trigger_id=f"GTT-{new_id(now)}", trigger_type=trigger_type,
                          status=GTT_ACTIVE, strategy=strategy[:100], symbol=symbol, exchange=exchange,
                          action=action.upper(), quantity=int(quantity), product=product, legs=gtt.dump(legs),
                          last_price=ltp, rejection_reason="", checked_at=now, created_at=now, updated_at=now,
                          expires_at=(expires_at or now + gtt.VALIDITY).astimezone(timezone.utc))

    @_retry_id_clash
    def modify_gtt(self, user_id: int, trigger_id: str, *, quantity: int, product: str, legs: list[dict],
                   strategy: str = "", expires_at: datetime | None = None) -> PaperRow:
        """Replace an active GTT's quantity, product and legs (its symbol, side and type stay), and its
        expiry when `expires_at` is given."""
        with self._account(user_id) as (tx, account, now):
            row = self._active_gtt(tx, user_id, trigger_id)
            inst = self.instrument(row.symbol, row.exchange)
            ltp = self.quote(inst, now)["ltp"]
            self._check_gtt(inst, row.trigger_type, int(quantity), legs, ltp)
            row.quantity, row.product, row.legs, row.last_price = int(quantity), product, gtt.dump(legs), ltp
            row.strategy, row.checked_at, row.updated_at = strategy[:100] or row.strategy, now, now
            if expires_at is not None:
                row.expires_at = expires_at.astimezone(timezone.utc)
            return row

    @_retry_id_clash
    def cancel_gtt(self, user_id: int, trigger_id: str) -> PaperRow:
        with self._account(user_id) as (tx, account, now):
            row = self._active_gtt(tx, user_id, trigger_id)
            row.status, row.updated_at = gtt.CANCELLED, now
            return row

    @_retry_id_clash
    def gtts(self, user_id: int) -> list[PaperRow]:
        """Every GTT of the user (brought up to now first, so due ones show as triggered)."""
        with self._account(user_id) as (tx, account, now):
            return gtt.every(tx, user_id)

    @staticmethod
    def _active_gtt(tx: PaperTx, user_id: int, trigger_id: str) -> PaperRow:
        row = gtt.by_id(tx, user_id, trigger_id)
        if row is None:
            raise OrderNotFound(f"GTT {trigger_id} not found", broker="paper")
        if row.status != GTT_ACTIVE:
            raise OrderRejected(f"GTT {trigger_id} is {row.status} and cannot be changed", broker="paper")
        return row

    @staticmethod
    def _check_gtt(inst: PaperInstrument, trigger_type: str, quantity: int, legs: list[dict], ltp: float) -> None:
        if inst.lotsize > 1 and quantity % inst.lotsize:
            raise InvalidOrder(f"Quantity {quantity} of {inst.symbol} is not a multiple of the lot size "
                               f"{inst.lotsize}", broker="paper")
        if trigger_type == "OCO":
            stoploss, target = (float(leg["trigger_price"]) for leg in legs)
            if not stoploss < ltp < target:
                raise InvalidOrder(f"OCO triggers must be on both sides of the last price {ltp:.2f}: stop-loss "
                                   f"trigger {stoploss:g} below it, target trigger {target:g} above it",
                                   broker="paper")
        elif float(legs[0]["trigger_price"]) == ltp:
            raise InvalidOrder(f"The trigger price equals the last price {ltp:.2f}; place an order instead",
                               broker="paper")

    # ------------------------------------------------------------------------------------- reads
    @_retry_id_clash
    def orders(self, user_id: int) -> list[PaperRow]:
        """Today's order book (IST), as a broker shows it: orders placed today, and earlier ones whose
        fate was settled today (e.g. expired at the day's end)."""
        with self._account(user_id) as (tx, account, now):
            start = _day_start_utc(now)
            return tx.rows(ORDERS, _ORDERS_SINCE, {"uid": user_id, "start": start})

    @_retry_id_clash
    def trades(self, user_id: int) -> list[PaperRow]:
        """Today's fills (IST)."""
        with self._account(user_id) as (tx, account, now):
            return tx.rows(TRADES, _TRADES_SINCE, {"uid": user_id, "start": _day_start_utc(now)})

    @_retry_id_clash
    def snapshot(self, user_id: int) -> Snapshot:
        """Positions, holdings and funds valued at one instant (one transaction, so they agree)."""
        with self._account(user_id) as (tx, account, now):
            return build_snapshot(tx, account, now, self.lookup, self.market)

    @staticmethod
    def available_cash(tx: PaperTx, account: PaperRow) -> float:
        return account.balance - used_margin(tx, account.user_id)

    def reset(self, user_id: int, capital: float | None = None) -> None:
        """Start over: every order, trade, position, holding and ledger row and the P&L history go; the
        account gets `capital` (INR; default PAPER_CAPITAL) as its new virtual capital."""
        capital = float(capital if capital is not None else self.settings.capital)
        now = self.now()
        store.ensure_account(user_id, capital, ist_now(now).date(), now, self.bind)
        with store.locked_account(user_id, self.bind) as locked:
            tx, account = locked.tx, locked.account
            store.wipe_user(tx, user_id)
            paper_pnl.clear(tx, user_id)      # a new account: the old one's days are not its history
            account.capital = account.balance = capital
            account.realized_today = account.realized_total = 0.0
            account.charges_today = account.charges_total = 0.0
            account.reset_count += 1
            account.last_reset, account.trading_day = now, ist_now(now).date()
            tx.add(LEDGER, user_id=user_id, kind="reset", amount=capital,
                   balance_after=capital, reference="reset", created_at=now)

