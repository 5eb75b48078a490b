"""Expiry settlement of paper F&O positions: a future or option still open when its contract expires is
closed at its settlement value, and the P&L is booked like a trade's.

The value comes from the market: on the simulated market the price process at the expiry instant
(options: their intrinsic value); on a live market the contract's last traded price. A live broker's
master contract drops a contract after its expiry, so a position the server could not settle in time
(it was down, or nothing called the engine) may no longer be found there; it is then settled from the
symbol itself (expiry, strike and type are in it) at the underlying's price — the exchanges settle index
and stock derivatives on the underlying's closing value, which is still the underlying's last price
before the next session opens — or, when not even the underlying is known, at its last mark.
"""
from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING, Callable

from broker.paper import prices
from broker.paper.calendar import IST, commodity_close
from broker.paper.fills import book_realized
from broker.paper.instruments import PaperInstrument
from database.paper_tx import PaperRow, PaperTx
from utils.symbols import DerivativeSymbol, parse_derivative

if TYPE_CHECKING:
    from broker.paper.source import Market

Lookup = Callable[[str, str], "PaperInstrument | None"]
# where the underlying of a derivative segment's contracts is quoted, index first
_UNDERLYING_EXCHANGES = {"NFO": ("NSE_INDEX", "NSE"), "BFO": ("BSE_INDEX", "BSE"), "CDS": (), "BCD": (), "MCX": ()}


def settle_expired_positions(tx: PaperTx, account: PaperRow, positions: list[PaperRow],
                             now: datetime, lookup: Lookup, market: "Market") -> None:
    """Derivatives past expiry close at their settlement value. `positions`: the open ones; an expired
    one is closed in place (its quantity becomes 0)."""
    for position in positions:
        inst = lookup(position.symbol, position.exchange)
        if inst is not None:
            if not inst.expiry_epoch or now.timestamp() < inst.expiry_epoch:
                continue
            raw = market.expiry_value(inst, datetime.fromtimestamp(inst.expiry_epoch, tz=IST))
            value = float(prices.to_tick(raw, inst.tick_size)) if raw >= inst.tick_size / 2 else 0.0
        else:
            parsed = parse_derivative(position.symbol)
            if parsed is None or now < _expiry_instant(parsed, position.exchange):
                continue
            value = _delisted_value(position, parsed, now, market)
        _close(tx, account, position, value, now)


def _expiry_instant(parsed: DerivativeSymbol, exchange: str) -> datetime:
    """The close of the expiry day's session of the contract's segment (IST)."""
    close = commodity_close(parsed.expiry) if exchange in ("MCX", "NCO") else time(15, 30)
    return datetime.combine(parsed.expiry, close, tzinfo=IST)


def _delisted_value(position: PaperRow, parsed: DerivativeSymbol, now: datetime, market: "Market") -> float:
    """A contract the market no longer lists: from its underlying's price, else its last mark."""
    for exchange in _UNDERLYING_EXCHANGES.get(position.exchange, ()):
        underlying = market.lookup(parsed.base, exchange, now)
        if underlying is None:
            continue
        spot = market.price(underlying, now)
        if spot <= 0:
            break
        if parsed.option_type == "CE":
            return round(max(0.0, spot - (parsed.strike or 0.0)), 2)
        if parsed.option_type == "PE":
            return round(max(0.0, (parsed.strike or 0.0) - spot), 2)
        return round(spot, 2)
    return float(position.close_price or position.average_price)


def _close(tx: PaperTx, account: PaperRow, position: PaperRow, value: float, now: datetime) -> None:
    realized = position.quantity * float(position.multiplier or 1.0) * (value - position.average_price)
    position.realized_pnl = round(position.realized_pnl + realized, 4)
    position.quantity, position.margin_blocked, position.updated_at = 0, 0.0, now
    book_realized(tx, account, realized, "expiry", position.symbol, now)
