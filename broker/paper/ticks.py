"""Normalized streaming ticks of the paper market (API_CONTRACT §13.5 `data` objects).

The streaming adapter (issue 7) calls `tick(instrument, at, mode, seed)` every PAPER_TICK_INTERVAL_MS
for each subscription and publishes the result; because prices are a pure function of the instant,
every proxy process streams the same values and they match /quotes, /depth and /history. Mode is the
integer 1 (LTP), 2 (Quote) or 3 (Depth); timestamps are epoch milliseconds.
"""
from __future__ import annotations

from datetime import datetime

from broker.paper import market
from broker.paper.instruments import PaperInstrument
from utils.constants import MODE_DEPTH, MODE_LTP, MODE_QUOTE


def tick(inst: PaperInstrument, at: datetime, mode: int, seed: int = 0) -> dict:
    """The `data` object of a market_data message for `inst` at instant `at`."""
    if mode not in (MODE_LTP, MODE_QUOTE, MODE_DEPTH):
        raise ValueError(f"mode must be {MODE_LTP}, {MODE_QUOTE} or {MODE_DEPTH}, got {mode!r}")
    quote = market.quote(inst, at, seed)
    stamp = int(at.timestamp() * 1000)
    data: dict = {"ltp": quote["ltp"], "ltt": int(at.timestamp()) * 1000, "timestamp": stamp}
    if mode == MODE_LTP:
        return data
    change = round(quote["ltp"] - quote["prev_close"], 2)
    book = market.book(inst, quote["ltp"], int(at.timestamp()))
    data.update(open=quote["open"], high=quote["high"], low=quote["low"], close=quote["prev_close"],
                volume=quote["volume"], last_trade_quantity=quote["ltq"], avg_trade_price=quote["avg_trade_price"],
                change=change,
                change_percent=round(change / quote["prev_close"] * 100, 2) if quote["prev_close"] else 0.0,
                oi=quote["oi"], total_buy_quantity=sum(level["quantity"] for level in book.bids),
                total_sell_quantity=sum(level["quantity"] for level in book.asks))
    if mode == MODE_DEPTH:
        data["depth"] = {"buy": book.bids, "sell": book.asks}
    return data
