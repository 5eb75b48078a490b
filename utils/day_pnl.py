"""Day P&L arithmetic, shared by the sandbox's day-close snapshot (broker/paper/daybook.py) and the
`pnl/symbols` report (services/pnl_report.py). Pure functions: no I/O, no clock.

The average-cost method, which the paper engine and Indian brokers' position books use: a fill that
adds to a position moves its average price; a fill that reduces it realises (fill − average) × the
quantity closed (the other way round for a short) and leaves the average alone; a fill that crosses
zero closes the old position and opens the remainder at the fill's price. The open quantity is marked
to the last price: unrealised = quantity × (last − average), negative quantities being shorts.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Iterable

ROUND = 2


@dataclass(frozen=True)
class Fill:
    action: str          # BUY / SELL
    quantity: float      # positive
    price: float

    @property
    def signed(self) -> float:
        return self.quantity if self.action.upper() == "BUY" else -self.quantity


@dataclass(frozen=True)
class Replayed:
    quantity: float       # signed: negative is short
    average_price: float
    realized: float


def replay(fills: Iterable[Fill], opening_quantity: float = 0, opening_average: float = 0.0) -> Replayed:
    """The position after `fills` (in order), starting from (opening_quantity, opening_average)."""
    quantity, average, realized = opening_quantity, opening_average if opening_quantity else 0.0, 0.0
    for fill in fills:
        signed = fill.signed
        if quantity == 0 or (quantity > 0) == (signed > 0):
            total = quantity + signed
            average = (abs(quantity) * average + abs(signed) * fill.price) / abs(total) if total else 0.0
            quantity = total
            continue
        closed = min(abs(quantity), abs(signed))
        realized += closed * (fill.price - average) * (1 if quantity > 0 else -1)
        remainder = quantity + signed
        if remainder == 0:
            average = 0.0
        elif (remainder > 0) != (quantity > 0):
            average = fill.price          # flipped: the rest opens at this fill's price
        quantity = remainder
    return Replayed(quantity, average, realized)


def unrealized(quantity: float, average: float, last: float) -> float:
    return quantity * (last - average) if quantity and last else 0.0


@dataclass(frozen=True)
class SideTotals:
    buy_quantity: float = 0
    buy_average: float = 0.0
    sell_quantity: float = 0
    sell_average: float = 0.0


def side_totals(fills: Iterable[Fill]) -> SideTotals:
    """Quantity bought and sold, and the volume-weighted average price of each side."""
    bought = sold = buy_value = sell_value = 0.0
    for fill in fills:
        if fill.signed > 0:
            bought, buy_value = bought + fill.quantity, buy_value + fill.quantity * fill.price
        else:
            sold, sell_value = sold + fill.quantity, sell_value + fill.quantity * fill.price
    return SideTotals(_number(bought), buy_value / bought if bought else 0.0,
                      _number(sold), sell_value / sold if sold else 0.0)


@dataclass(frozen=True)
class SymbolDay:
    """One (symbol, exchange, product)'s day: what was traded, where it stands, and its P&L."""
    symbol: str
    exchange: str
    product: str
    quantity: float
    average_price: float
    ltp: float
    sides: SideTotals
    realized: float
    unrealized: float
    charges: float = 0.0      # the sandbox's simulated charges of the day's fills (not in the P&L)

    @property
    def total(self) -> float:
        return self.realized + self.unrealized

    def as_row(self) -> dict[str, Any]:
        """The `pnl/symbols` row: the reference's keys (pnl, unrealized_pnl, today_realized_pnl,
        total_pnl_today) and the trading detail beside them."""
        total = round(self.total, ROUND)
        return {"symbol": self.symbol, "exchange": self.exchange, "product": self.product,
                "quantity": _number(self.quantity), "average_price": round(self.average_price, ROUND),
                "ltp": round(self.ltp, ROUND),
                "buy_quantity": _number(self.sides.buy_quantity), "buy_average": round(self.sides.buy_average, ROUND),
                "sell_quantity": _number(self.sides.sell_quantity),
                "sell_average": round(self.sides.sell_average, ROUND),
                "today_realized_pnl": round(self.realized, ROUND), "unrealized_pnl": round(self.unrealized, ROUND),
                "total_pnl_today": total, "pnl": total, "charges": round(self.charges, ROUND)}


@dataclass(frozen=True)
class HoldingDay:
    """A holding's day: its quantity now, and its P&L since the previous close it was marked to."""
    quantity: float
    average_price: float
    ltp: float
    realized: float       # today's sales from it, against that close
    unrealized: float     # quantity × (last − that close)


def with_holding(day: SymbolDay, holding: HoldingDay) -> SymbolDay:
    """A symbol's CNC day with its holding added: one row per symbol, as a trader reads it (quantity
    and average over both, the P&L summed)."""
    quantity = day.quantity + holding.quantity
    cost = day.quantity * day.average_price + holding.quantity * holding.average_price
    return replace(day, quantity=quantity, average_price=cost / quantity if quantity else 0.0,
                   ltp=day.ltp or holding.ltp, realized=day.realized + holding.realized,
                   unrealized=day.unrealized + holding.unrealized)


def totals(rows: Iterable[SymbolDay]) -> dict[str, float]:
    """The day's totals over every symbol, under the reference's names."""
    rows = list(rows)
    realized = sum(r.realized for r in rows)
    open_pnl = sum(r.unrealized for r in rows)
    total = round(realized + open_pnl, ROUND)
    return {"total_pnl": total, "total_unrealized_pnl": round(open_pnl, ROUND),
            "total_today_realized_pnl": round(realized, ROUND), "total_pnl_today": total,
            "total_charges": round(sum(r.charges for r in rows), ROUND)}


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
