"""Margin approximations of the paper broker (documented in README.md, "Paper broker").

Real brokers use SPAN + exposure files from the exchanges; the simulator uses flat shares of notional
per lot, close to typical levels for index products, each configurable (PAPER_* settings):

* equity CNC: 100 % of the value (delivery is paid in full); equity MIS: the value divided by
  PAPER_EQUITY_MIS_LEVERAGE (default 5x, i.e. 20 %);
* futures (NFO/BFO): PAPER_FUTURES_MARGIN % of notional (default 12); MCX futures:
  PAPER_COMMODITY_MARGIN % (default 10); currency futures (CDS/BCD): PAPER_CURRENCY_MARGIN % (default 3);
  the same for MIS and NRML (SEBI's peak-margin rules leave no extra intraday leverage on F&O);
* long options: the premium (100 % of value);
* short options: PAPER_SHORT_OPTION_MARGIN % (default 12) of the strike value (strike x quantity, a
  stand-in for the underlying's value).

Notional is quantity x the instrument's contract multiplier x price (a USDINR contract counted as 1 is
USD 1,000; broker/paper/universe.py, "Currency").
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from broker.contract.multiplier import CURRENCY_EXCHANGES
from broker.paper.instruments import PaperInstrument

COMMODITY_EXCHANGES = ("MCX", "NCO", "NCDEX")


@dataclass(frozen=True)
class MarginRates:
    """Shares of notional held as margin (fractions, not percent)."""
    equity_mis: float = 0.20
    futures: float = 0.12
    commodity: float = 0.10
    currency: float = 0.03
    short_option: float = 0.12

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> "MarginRates":
        def percent(name: str, default: float) -> float:
            return float(settings.get(name) or default * 100) / 100
        return cls(equity_mis=1.0 / float(settings.get("PAPER_EQUITY_MIS_LEVERAGE") or 1 / cls.equity_mis),
                   futures=percent("PAPER_FUTURES_MARGIN", cls.futures),
                   commodity=percent("PAPER_COMMODITY_MARGIN", cls.commodity),
                   currency=percent("PAPER_CURRENCY_MARGIN", cls.currency),
                   short_option=percent("PAPER_SHORT_OPTION_MARGIN", cls.short_option))


DEFAULT_RATES = MarginRates()


def position_margin(inst: PaperInstrument, product: str, quantity: int, price: float,
                    rates: MarginRates = DEFAULT_RATES) -> float:
    """Margin held for a net position of signed `quantity` entered at `price`."""
    if quantity == 0:
        return 0.0
    units = abs(quantity) * inst.multiplier
    notional = units * price
    if inst.kind == "option":
        return notional if quantity > 0 else units * inst.strike * rates.short_option
    if inst.exchange in COMMODITY_EXCHANGES:
        return notional * rates.commodity
    if inst.exchange in CURRENCY_EXCHANGES:
        return notional * rates.currency
    if inst.kind == "future":
        return notional * rates.futures
    return notional if product == "CNC" else notional * rates.equity_mis


def incremental_margin(inst: PaperInstrument, product: str, position_qty: int, position_avg: float,
                       order_qty: int, order_price: float, rates: MarginRates = DEFAULT_RATES) -> float:
    """Extra margin an order needs if it fills in full at `order_price` (0 when it reduces exposure)."""
    before = position_margin(inst, product, position_qty, position_avg, rates)
    after_qty = position_qty + order_qty
    if position_qty == 0 or (position_qty > 0) == (order_qty > 0):
        total = abs(position_qty) * position_avg + abs(order_qty) * order_price
        after_avg = total / abs(after_qty)
    elif (after_qty > 0) == (position_qty > 0) or after_qty == 0:
        after_avg = position_avg
    else:
        after_avg = order_price
    return max(0.0, position_margin(inst, product, after_qty, after_avg, rates) - before)
