"""Margin approximations of the paper broker (documented in README.md, "Paper broker").

Real brokers use SPAN + exposure files from the exchanges; the simulator uses flat shares of notional,
close to typical levels for index products:

* equity CNC: 100 % of the value (delivery is paid in full); equity MIS: 20 % (5x intraday leverage);
* futures (NFO/BFO): 12 % of notional; MCX futures: 10 % of notional; the same for MIS and NRML;
* long options: the premium (100 % of value);
* short options: 12 % of the strike value (strike × quantity, a stand-in for the underlying's value).
"""
from __future__ import annotations

from broker.paper.instruments import PaperInstrument

EQUITY_MIS_RATE = 0.20
FUTURES_RATE = 0.12
COMMODITY_RATE = 0.10
SHORT_OPTION_RATE = 0.12


def position_margin(inst: PaperInstrument, product: str, quantity: int, price: float) -> float:
    """Margin held for a net position of signed `quantity` entered at `price`."""
    if quantity == 0:
        return 0.0
    notional = abs(quantity) * price
    if inst.kind == "option":
        return notional if quantity > 0 else abs(quantity) * inst.strike * SHORT_OPTION_RATE
    if inst.exchange == "MCX":
        return notional * COMMODITY_RATE
    if inst.kind == "future":
        return notional * FUTURES_RATE
    return notional if product == "CNC" else notional * EQUITY_MIS_RATE


def incremental_margin(inst: PaperInstrument, product: str, position_qty: int, position_avg: float,
                       order_qty: int, order_price: float) -> float:
    """Extra margin an order needs if it fills in full at `order_price` (0 when it reduces exposure)."""
    before = position_margin(inst, product, position_qty, position_avg)
    after_qty = position_qty + order_qty
    if position_qty == 0 or (position_qty > 0) == (order_qty > 0):
        total = abs(position_qty) * position_avg + abs(order_qty) * order_price
        after_avg = total / abs(after_qty)
    elif (after_qty > 0) == (position_qty > 0) or after_qty == 0:
        after_avg = position_avg
    else:
        after_avg = order_price
    return max(0.0, position_margin(inst, product, after_qty, after_avg) - before)
