"""Where the paper engine's market comes from: the simulated market, or a connected live broker's.

The engine asks its market four things: which instrument a (symbol, exchange) is, the quote at an
instant (MARKET fills at the touch), the last price at an instant (valuation), and the prices between
two instants (resting LIMIT / SL / SL-M orders and GTTs are matched against them).

`SimulatedMarket` answers from the deterministic price process (what `broker=paper` always uses).
`LiveMarket` answers from a `broker.market_view.LiveMarketView` of the user's connected broker: its
master-contract rows, its quotes (buy at the ask, sell at the bid; the last price only when that side
of the book is empty) and the ticks it published. It never sees an order method of the live broker.
"""
from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from typing import Any, Protocol

import numpy as np

from broker.contract import Instrument
from broker.contract.multiplier import contract_multiplier, counts_mcx_contracts
from broker.market_view import LiveMarketView
from broker.paper import market, prices
from utils import market_calendar as calendar
from broker.paper.calendar import IST, ist_now
from broker.paper.instruments import PaperInstrument, catalog
from database import paper as paper_store

SIMULATED_LABEL = "Paper trading: simulated market"
_EMPTY = (np.empty(0, dtype=np.int64), np.empty(0))


class Market(Protocol):
    label: str
    simulated: bool

    def lookup(self, symbol: str, exchange: str, at: datetime) -> PaperInstrument | None: ...
    def quote(self, inst: PaperInstrument, at: datetime) -> dict: ...
    def price(self, inst: PaperInstrument, at: datetime) -> float: ...
    def price_range(self, inst: PaperInstrument, since: datetime, until: datetime) -> tuple[np.ndarray, np.ndarray]: ...
    def close_before(self, inst: PaperInstrument, day_start: datetime, now: datetime) -> float: ...
    def expiry_value(self, inst: PaperInstrument, at: datetime) -> float: ...


class SimulatedMarket:
    label = SIMULATED_LABEL
    simulated = True

    def __init__(self, seed: int = 0):
        self.seed = seed

    def lookup(self, symbol: str, exchange: str, at: datetime) -> PaperInstrument | None:
        return catalog(ist_now(at).date(), self.seed).lookup(symbol, exchange)

    def quote(self, inst: PaperInstrument, at: datetime) -> dict:
        return market.quote(inst, at, self.seed)

    def price(self, inst: PaperInstrument, at: datetime) -> float:
        return prices.price(inst, at, self.seed)

    def price_range(self, inst: PaperInstrument, since: datetime, until: datetime) -> tuple[np.ndarray, np.ndarray]:
        return prices.price_range(inst, since, until, self.seed)

    def expiry_value(self, inst: PaperInstrument, at: datetime) -> float:
        return prices.raw_price(inst, at, self.seed)

    def prepare(self, user_id: int, at: datetime, bind: Any = None) -> None:
        """Nothing to fetch: the simulated prices are computed."""

    def close_before(self, inst: PaperInstrument, day_start: datetime, now: datetime) -> float:
        """The last price before `day_start` (the quote's `prev_close` of that day)."""
        return self.price(inst, day_start - timedelta(seconds=1))


_KINDS = {"FUT": "future", "FUTIDX": "future", "FUTSTK": "future", "FUTCOM": "future", "FUTCUR": "future",
          "CE": "option", "PE": "option", "OPTIDX": "option", "OPTSTK": "option", "OPTFUT": "option",
          "OPTCUR": "option"}


def paper_instrument(row: Instrument, mcx_contracts: bool = False) -> PaperInstrument:
    """A live master-contract row as the engine's instrument (no simulation parameters: its prices come
    from the live broker). Its multiplier is derived from the row (and the broker's declared MCX
    counting, see broker.contract.multiplier) each time, so a restart rebuilds the same one."""
    kind = _KINDS.get(row.instrumenttype.upper(), "spot")
    if kind == "option" and row.instrumenttype.upper() not in ("CE", "PE"):
        option_type = "CE" if row.symbol.endswith("CE") else "PE" if row.symbol.endswith("PE") else ""
    else:
        option_type = row.instrumenttype.upper() if kind == "option" else ""
    expiry_epoch = 0
    if isinstance(row.expiry, date):   # derivatives expire at the close of their expiry day (IST)
        expiry_epoch = int(datetime(row.expiry.year, row.expiry.month, row.expiry.day, 15, 30, tzinfo=IST).timestamp())
    return PaperInstrument(
        symbol=row.symbol, brsymbol=row.brsymbol, name=row.name, exchange=row.exchange, brexchange=row.brexchange,
        token=str(row.token), expiry=row.expiry.strftime("%d-%b-%y").upper() if isinstance(row.expiry, date) else "",
        strike=float(row.strike if row.strike and row.strike > 0 else 0.0), lotsize=int(row.lotsize or 1),
        tick_size=float(row.tick_size or 0.05), instrumenttype=row.instrumenttype, kind=kind, driver_key="",
        reference_price=0.0, volatility=0.0, expiry_epoch=expiry_epoch, option_type=option_type,
        multiplier=contract_multiplier(row, mcx_contracts))


class LiveMarket:
    """The user's connected broker as the engine's market (analyzer mode on the live market)."""
    simulated = False

    def __init__(self, view: LiveMarketView):
        self.view = view
        self.label = f"Sandbox on the live market ({view.broker})"
        self.mcx_contracts = counts_mcx_contracts(view.plugin.capabilities)
        self._rows: dict[tuple[str, str], tuple[Instrument, PaperInstrument]] = {}
        self._lock = threading.Lock()

    def _row(self, symbol: str, exchange: str) -> tuple[Instrument, PaperInstrument] | None:
        key = (symbol, exchange)
        with self._lock:
            found = self._rows.get(key)
        if found is None:
            row = self.view.instrument(symbol, exchange)
            if row is None:
                return None
            found = (row, paper_instrument(row, self.mcx_contracts))
            with self._lock:
                self._rows[key] = found
        return found

    def lookup(self, symbol: str, exchange: str, at: datetime) -> PaperInstrument | None:
        found = self._row(symbol, exchange)
        return found[1] if found else None

    def quote(self, inst: PaperInstrument, at: datetime) -> dict:
        row = self._row(inst.symbol, inst.exchange)
        if row is None:
            return {"ltp": 0.0, "bid": 0.0, "ask": 0.0, "prev_close": 0.0}
        live = self.view.quote(row[0], at)
        ltp = float(live.ltp or 0.0)
        # the touch; the last price only when that side of the book is empty
        return {"ltp": ltp, "bid": float(live.bid or 0.0) or ltp, "ask": float(live.ask or 0.0) or ltp,
                "prev_close": float(live.prev_close or 0.0) or ltp, "open": live.open, "high": live.high,
                "low": live.low, "volume": live.volume, "bid_qty": live.bid_qty, "ask_qty": live.ask_qty,
                "oi": live.oi, "timestamp": int(at.timestamp() * 1000)}

    def price(self, inst: PaperInstrument, at: datetime) -> float:
        """The live broker's last price now (positions and holdings are marked to it)."""
        return self.quote(inst, at)["ltp"]

    def price_range(self, inst: PaperInstrument, since: datetime, until: datetime) -> tuple[np.ndarray, np.ndarray]:
        """The ticks the live broker published in (since, until]. Unless its feed is streaming this
        instrument, with its current price at `until` (one quote) too, so a check finds a crossing
        even when no streamed tick arrived in between."""
        if not self.view.streaming(inst.exchange, inst.symbol, until) and not self.view.has_tick_at(
                inst.exchange, inst.symbol, until):
            self.sample(inst, until)
        ticks = self.view.ticks(inst.exchange, inst.symbol, since, until)
        if not ticks:
            return _EMPTY
        epochs, values = zip(*ticks)
        return np.asarray(epochs, dtype=np.float64).astype(np.int64), np.asarray(values, dtype=np.float64)

    def prepare(self, user_id: int, at: datetime, bind: Any = None) -> None:
        """Before the engine takes the user's account lock: the current price of each instrument their
        resting orders and GTTs wait on (unless it streams), recorded at `at`, so the matching under the
        lock needs no broker call (a quote can wait for the broker's rate budget; holding the lock that
        long would stall the other processes matching this user, the proxy's tick path among them)."""
        for symbol, exchange in paper_store.resting_instruments(bind, user_id).get(user_id, ()):
            inst = self.lookup(symbol, exchange, at)
            if inst is not None and not self.view.streaming(exchange, symbol, at):
                self.sample(inst, at)

    def sample(self, inst: PaperInstrument, at: datetime) -> None:
        """Ask the live broker for the current price (recorded as a tick at `at`)."""
        self.quote(inst, at)

    def expiry_value(self, inst: PaperInstrument, at: datetime) -> float:
        """The last price the live broker published (the settlement price is not on the quote API)."""
        last = self.view.last(inst.exchange, inst.symbol)
        return last if last is not None else self.price(inst, at)

    def close_before(self, inst: PaperInstrument, day_start: datetime, now: datetime) -> float:
        """The previous session's close: before today's session opens the broker's last price still is
        that close (its `prev_close` may be a day older then); once it opened, the quote's `prev_close`."""
        quote = self.quote(inst, now)
        try:
            opens = calendar.next_open(inst.exchange, day_start)
        except ValueError:    # an exchange without a calendar
            opens = None
        if opens is None or now < opens:
            return quote["ltp"] or quote["prev_close"]
        return quote["prev_close"] or quote["ltp"]

