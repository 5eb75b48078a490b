"""Quote and depth objects from the quote row shape several brokers share.

Kite Connect's `/quote` and DhanHQ's `/marketfeed/quote` answer each instrument with the same field
names: `last_price`, `last_quantity`, `volume`, `oi`, `buy_quantity`, `sell_quantity`, `ohlc` {open, high,
low, close (the previous close)} and `depth` {buy, sell: [{price, quantity, orders}]}, best first. Plugins
whose broker speaks it build the unified Quote / Depth here, passing the timestamp they parsed.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from broker.contract import Depth, DepthLevel, Instrument, Quote


def depth_levels(rows: list[Mapping[str, Any]]) -> tuple[DepthLevel, ...]:
    """One side of a book given as [{price, quantity, orders}], best first (Angel's quote rows use it too)."""
    return Depth.pad([DepthLevel(float(r.get("price") or 0), int(r.get("quantity") or 0), int(r.get("orders") or 0))
                      for r in rows])


def quote_from_row(instrument: Instrument, row: Mapping[str, Any], timestamp: datetime | None) -> Quote:
    ohlc, book = row.get("ohlc") or {}, row.get("depth") or {}
    bid = (book.get("buy") or [{}])[0]
    ask = (book.get("sell") or [{}])[0]
    return Quote(symbol=instrument.symbol, exchange=instrument.exchange, ltp=float(row.get("last_price") or 0),
                 open=float(ohlc.get("open") or 0), high=float(ohlc.get("high") or 0),
                 low=float(ohlc.get("low") or 0), prev_close=float(ohlc.get("close") or 0),
                 volume=int(row.get("volume") or 0), bid=float(bid.get("price") or 0),
                 ask=float(ask.get("price") or 0), bid_qty=int(bid.get("quantity") or 0),
                 ask_qty=int(ask.get("quantity") or 0), oi=int(row.get("oi") or 0), timestamp=timestamp, raw=row)


def depth_from_row(instrument: Instrument, row: Mapping[str, Any], timestamp: datetime | None) -> Depth:
    ohlc, book = row.get("ohlc") or {}, row.get("depth") or {}
    return Depth(symbol=instrument.symbol, exchange=instrument.exchange, ltp=float(row.get("last_price") or 0),
                 bids=depth_levels(book.get("buy", [])), asks=depth_levels(book.get("sell", [])),
                 ltq=int(row.get("last_quantity") or 0), open=float(ohlc.get("open") or 0),
                 high=float(ohlc.get("high") or 0), low=float(ohlc.get("low") or 0),
                 prev_close=float(ohlc.get("close") or 0), volume=int(row.get("volume") or 0),
                 oi=int(row.get("oi") or 0), total_buy_qty=int(row.get("buy_quantity") or 0),
                 total_sell_qty=int(row.get("sell_quantity") or 0), timestamp=timestamp, raw=row)
