"""Charges of a paper fill (PAPER_CHARGES, off by default): a documented approximation of what an Indian
discount broker's contract note shows, per segment, so a sandbox P&L can be read net of costs.

Per executed order (rates from the exchanges' and the government's published schedules, rounded; real
notes differ by a few rupees, and the exchanges revise these):

* brokerage: equity delivery (CNC) free; everything else the lower of ₹20 and 0.03 % of the turnover,
  options a flat ₹20;
* STT / CTT: equity delivery 0.1 % on both sides; equity intraday 0.025 % on the sell side; futures
  0.02 % sell; options 0.1 % of the premium sell; MCX futures 0.01 % sell, MCX options 0.05 % sell;
  none on currency;
* exchange transaction charges (of the turnover): NSE equity 0.00297 %, BSE equity 0.00375 %, NSE futures
  0.00173 %, NSE options 0.03503 %, BSE futures 0, BSE options 0.0325 %, MCX futures 0.0021 %, MCX options
  0.0418 %, currency futures 0.00035 %, currency options 0.0311 %;
* SEBI turnover fee ₹10 per crore (0.0001 %);
* GST 18 % on brokerage + exchange charges + SEBI fee;
* stamp duty on the buy side: delivery 0.015 %, intraday 0.003 %, futures 0.002 %, options 0.003 %,
  currency 0.0001 %.

Turnover is quantity x the instrument's contract multiplier x price (one USDINR contract, counted as 1,
turns over USD 1,000 at the rate).
"""
from __future__ import annotations

from broker.paper.instruments import PaperInstrument
from broker.paper.margins import COMMODITY_EXCHANGES, CURRENCY_EXCHANGES

BROKERAGE_CAP = 20.0
BROKERAGE_RATE = 0.0003
SEBI_RATE = 0.000001
GST_RATE = 0.18

# segment -> (STT sell, STT buy, stamp on buy), fractions of turnover (options: of premium turnover)
_TAXES = {
    "delivery": (0.001, 0.001, 0.00015),
    "intraday": (0.00025, 0.0, 0.00003),
    "future": (0.0002, 0.0, 0.00002),
    "option": (0.001, 0.0, 0.00003),
    "commodity_future": (0.0001, 0.0, 0.00002),
    "commodity_option": (0.0005, 0.0, 0.00003),
    "currency_future": (0.0, 0.0, 0.000001),
    "currency_option": (0.0, 0.0, 0.000001),
}
# (exchange family, segment) -> exchange transaction charge
_EXCHANGE_RATES = {
    ("NSE", "equity"): 0.0000297, ("BSE", "equity"): 0.0000375,
    ("NSE", "future"): 0.0000173, ("NSE", "option"): 0.0003503,
    ("BSE", "future"): 0.0, ("BSE", "option"): 0.000325,
    ("MCX", "future"): 0.000021, ("MCX", "option"): 0.000418,
    ("CDS", "future"): 0.0000035, ("CDS", "option"): 0.000311,
}


def _family(exchange: str) -> str:
    if exchange in COMMODITY_EXCHANGES:
        return "MCX"
    if exchange in CURRENCY_EXCHANGES:
        return "CDS"
    return "BSE" if exchange.startswith("B") else "NSE"


def _segment(inst: PaperInstrument, product: str) -> tuple[str, str]:
    """(tax segment, exchange-charge segment) of a fill."""
    family = _family(inst.exchange)
    kind = "option" if inst.kind == "option" else "future" if inst.kind == "future" else "equity"
    if family == "MCX":
        return f"commodity_{'option' if kind == 'option' else 'future'}", "option" if kind == "option" else "future"
    if family == "CDS":
        return f"currency_{'option' if kind == 'option' else 'future'}", "option" if kind == "option" else "future"
    if kind == "equity":
        return ("delivery" if product == "CNC" else "intraday"), "equity"
    return kind, kind


def fill_charges(inst: PaperInstrument, product: str, action: str, quantity: int, price: float) -> float:
    """Every charge of one executed order of `quantity` at `price` (INR, rounded to the paisa)."""
    turnover = abs(quantity) * inst.multiplier * price
    tax_segment, exchange_segment = _segment(inst, product)
    if tax_segment == "delivery":
        brokerage = 0.0
    elif inst.kind == "option":
        brokerage = BROKERAGE_CAP
    else:
        brokerage = min(BROKERAGE_CAP, turnover * BROKERAGE_RATE)
    stt_sell, stt_buy, stamp_buy = _TAXES[tax_segment]
    buy = action == "BUY"
    stt = turnover * (stt_buy if buy else stt_sell)
    stamp = turnover * stamp_buy if buy else 0.0
    exchange = turnover * _EXCHANGE_RATES.get((_family(inst.exchange), exchange_segment), 0.0)
    sebi = turnover * SEBI_RATE
    gst = (brokerage + exchange + sebi) * GST_RATE
    return round(brokerage + stt + stamp + exchange + sebi + gst, 2)
