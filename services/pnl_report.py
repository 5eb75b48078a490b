"""Day P&L per symbol (`POST /api/v1/pnl/symbols`) and the sandbox P&L report page's data.

Rows are built from the same books the API serves: today's trade book (quantities and averages bought
and sold) and the position book (where each symbol stands, marked to its last price).

* Analyzer mode (the sandbox): the paper engine's own numbers, those its position book and funds show:
  realised P&L on the average price, open quantities marked to the sandbox market's last price (the
  connected broker's LTP, or the simulated market's). A position carried from an earlier day counts
  from the previous close, as a broker's day M2M does: its unrealised P&L today is the open P&L minus
  what it had at that close (the engine's `day_pnl`). `charges` are the sandbox's simulated charges of
  today's fills (PAPER_CHARGES), shown beside the P&L, not taken out of it.
* Live mode: brokers' position books do not split realised from unrealised P&L the same way, so today's
  fills are replayed on the average-cost method from the position held before them (the position's
  quantity minus today's net fills, at the position's average price), and the open quantity is marked
  to the position book's LTP. For a position opened today this is exact; for one carried from an
  earlier day whose average the broker moved today, the opening average is approximated by the
  current one. Brokers' books carry no contract multiplier, so both P&Ls count each symbol's from its
  row in the broker's master contract (order_target.contract_multipliers: a Zerodha USDINR contract
  counted as 1 is USD 1,000; 1 for a symbol the contract lacks); quantities and prices stay the books'.

History (sandbox only): the days the paper engine recorded at each day rollover (database/paper_pnl.py)
plus today, computed now.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Iterable, Mapping

from broker.contract import Holding, Position, Trade
from database import paper_pnl
from services import order_flow, order_target
from services.latency import LatencyTimer
from services.order_target import Target
from services.pnl_curve import trade_epoch
from utils.day_pnl import Fill, HoldingDay, SymbolDay, replay, side_totals, totals, unrealized, with_holding
from utils.errors import InvalidInput
from utils.market_calendar import now_ist

MAX_HISTORY_DAYS = 366
DEFAULT_HISTORY_DAYS = 30
Key = tuple[str, str, str]


def symbol_days(positions: Iterable[Position], trades: Iterable[Trade], engine_split: bool,
                holdings: Iterable[Holding] = (),
                multipliers: Mapping[tuple[str, str], float] | None = None) -> list[SymbolDay]:
    """Pure: one SymbolDay per (symbol, exchange, product) traded today or held. `engine_split`: the
    positions carry their own realised / unrealised split (the paper engine's). `holdings` (the
    sandbox's, those sold out today included) carry their day P&L in `raw`; each joins the CNC row of
    its symbol. `multipliers`: the contract multiplier of a (symbol, exchange) whose replayed P&L counts
    quantity x multiplier x price (1 where absent)."""
    fills: dict[Key, list[Fill]] = defaultdict(list)
    charges: dict[Key, float] = defaultdict(float)
    today = now_ist()
    # in time order (some brokers list the newest fill first); the sort is stable for equal stamps
    for trade in sorted(trades, key=lambda t: trade_epoch(str(t.timestamp or ""), today)):
        key = (trade.symbol, trade.exchange, trade.product)
        fills[key].append(Fill(trade.action, float(trade.quantity), float(trade.average_price)))
        charges[key] += float(trade.raw.get("charges", 0.0)) if isinstance(trade.raw, dict) else 0.0
    held = {(p.symbol, p.exchange, p.product): p for p in positions}
    delivered = {(h.symbol, h.exchange, "CNC"): h for h in holdings}
    days = []
    for key in sorted(set(fills) | set(held) | set(delivered)):
        position = held.get(key)
        day = _split(key, position, fills[key], charges[key]) if engine_split else \
            _replayed(key, position, fills[key], charges[key], (multipliers or {}).get(key[:2], 1.0))
        if key in delivered:
            day = _with_holding(day, delivered[key])
        if day.quantity or day.realized or fills[key]:
            days.append(day)
    return days


def _split(key: Key, position: Position | None, fills: list[Fill], charges: float) -> SymbolDay:
    if position is None:    # a CNC sale from holdings: no position moved (its P&L is the holding's)
        return SymbolDay(*key, quantity=0, average_price=0.0, ltp=0.0, sides=side_totals(fills), realized=0.0,
                         unrealized=0.0, charges=charges)
    raw = position.raw if isinstance(position.raw, dict) else {}
    day = raw.get("day_pnl", position.realized_pnl + position.unrealized_pnl)   # from the previous close
    return SymbolDay(*key, quantity=position.quantity, average_price=position.average_price, ltp=position.ltp,
                     sides=side_totals(fills), realized=position.realized_pnl,
                     unrealized=float(day) - position.realized_pnl, charges=charges)


def _with_holding(day: SymbolDay, holding: Holding) -> SymbolDay:
    raw = holding.raw if isinstance(holding.raw, dict) else {}
    realized = float(raw.get("day_realized", 0.0))
    return with_holding(day, HoldingDay(quantity=float(holding.quantity), average_price=holding.average_price,
                                        ltp=holding.ltp, realized=realized,
                                        unrealized=float(raw.get("day_pnl", 0.0)) - realized))


def _replayed(key: Key, position: Position | None, fills: list[Fill], charges: float,
              multiplier: float) -> SymbolDay:
    net = sum(fill.signed for fill in fills)
    held = float(position.quantity) if position is not None else net
    average = position.average_price if position is not None else 0.0
    result = replay(fills, opening_quantity=held - net, opening_average=average)
    if position is None or not average:
        average = result.average_price
    ltp = position.ltp if position is not None else 0.0
    return SymbolDay(*key, quantity=held, average_price=average, ltp=ltp, sides=side_totals(fills),
                     realized=result.realized * multiplier, unrealized=unrealized(held, average, ltp) * multiplier,
                     charges=charges)


def _read(target: Target, timer: LatencyTimer) -> list[SymbolDay]:
    target.plugin.require("positions")
    target.plugin.require("trade_book")
    sandbox = target.broker == "paper"
    with timer.stage("broker"):
        positions = target.plugin.orders.positions(target.session)
        trades = target.plugin.orders.trade_book(target.session)
        holdings = target.plugin.orders.day_holdings(target.session) if sandbox else []
    traded = {(row.symbol, row.exchange) for row in [*positions, *trades]}
    multipliers = order_target.contract_multipliers(target, traded)     # live brokers' (the engine books its own)
    return symbol_days(positions, trades, engine_split=sandbox, holdings=holdings, multipliers=multipliers)


def _body(days: list[SymbolDay], mode: str) -> dict[str, Any]:
    return {"status": "success", "data": [day.as_row() for day in days], **totals(days), "mode": mode}


def pnl_symbols(user_id: int) -> dict[str, Any]:
    """The `pnl/symbols` body for the user's current mode (read-only: not journaled)."""
    return order_flow.run(user_id, "pnl_symbols", {},
                          lambda target, timer: _body(_read(target, timer), target.mode), journal=False)


def sandbox_today(user_id: int) -> dict[str, Any]:
    """Today's P&L per symbol of the user's sandbox account, whatever mode the user is in."""
    target = order_target.sandbox_target(user_id)
    return _body(_read(target, LatencyTimer()), target.mode)


# ------------------------------------------------------------------------------------------ history
@dataclass(frozen=True)
class History:
    today: dict[str, Any]                 # sandbox_today's body
    days: list[dict[str, Any]]            # oldest first, today last
    since: date
    until: date


def history_days(value: Any) -> int:
    """The `days` query parameter: a whole number of days, 1..MAX_HISTORY_DAYS (default 30)."""
    if value in (None, ""):
        return DEFAULT_HISTORY_DAYS
    try:
        days = int(str(value))
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_HISTORY_DAYS:
        raise InvalidInput(f"days must be a whole number from 1 to {MAX_HISTORY_DAYS}", field="days")
    return days


DETAILS = ("days", "symbols")


def history_detail(value: Any) -> str:
    """The history CSV's `detail` query parameter: `days` (one row a day, the default) or `symbols`."""
    if value in (None, ""):
        return "days"
    if value not in DETAILS:
        raise InvalidInput(f"detail must be one of {', '.join(DETAILS)} (default days)", field="detail")
    return str(value)


def sandbox_history(user_id: int, days: int = DEFAULT_HISTORY_DAYS) -> History:
    """The sandbox's day-by-day P&L over the last `days` calendar days, today included."""
    until = now_ist().date()
    since = until - timedelta(days=days - 1)
    today = sandbox_today(user_id)
    rows = [_day_row(d.day, d.realized, d.unrealized, d.charges, d.symbols)
            for d in paper_pnl.day_totals(user_id, since, until - timedelta(days=1))]
    rows.append(_day_row(until, today["total_today_realized_pnl"], today["total_unrealized_pnl"],
                         today["total_charges"], len(today["data"])))
    running = 0.0
    for row in rows:
        running += row["net_pnl"]
        row["cumulative_pnl"] = round(running, 2)
    return History(today=today, days=rows, since=since, until=until)


def _day_row(day: date, realized: float, open_pnl: float, charges: float, symbols: int) -> dict[str, Any]:
    total = round(realized + open_pnl, 2)
    return {"date": day.isoformat(), "realized_pnl": round(realized, 2), "unrealized_pnl": round(open_pnl, 2),
            "total_pnl": total, "charges": round(charges, 2), "net_pnl": round(total - charges, 2),
            "symbols": symbols}


def recorded_symbol_rows(user_id: int, since: date, until: date) -> list[dict[str, Any]]:
    """Every symbol row the sandbox recorded in [since, until] (for the detailed CSV)."""
    return [{"date": row.day.isoformat(), "symbol": row.symbol, "exchange": row.exchange, "product": row.product,
             "quantity": row.quantity, "average_price": row.average_price, "close_price": row.close_price,
             "buy_quantity": row.buy_quantity, "buy_average": row.buy_average, "sell_quantity": row.sell_quantity,
             "sell_average": row.sell_average, "realized_pnl": row.realized, "unrealized_pnl": row.unrealized,
             "total_pnl": round(row.realized + row.unrealized, 2), "charges": row.charges}
            for row in paper_pnl.day_rows(user_id, since, until)]
