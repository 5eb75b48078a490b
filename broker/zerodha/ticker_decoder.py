"""Decoding of the Kite ticker's binary frames (Kite Connect v3, "WebSocket streaming" → message structure).

A binary WebSocket message is: int16 number of packets, then per packet an int16 length and the packet;
all integers big-endian. The packet length tells the mode:

* 8 bytes   LTP: token, last price;
* 28 / 32   index quote / index full: token, last price, high, low, open, close, price change
            (+ exchange timestamp in full);
* 44 bytes  quote: token, last price, last quantity, average price, volume, buy quantity, sell quantity,
            open, high, low, close;
* 184 bytes full: quote + last trade time, OI, OI day high, OI day low, exchange timestamp, and
            5 bid + 5 ask depth entries of 12 bytes (quantity int32, price int32, orders int16, 2 padding).

Prices arrive as integers: paise (/100), except currency derivatives (CDS: /10 000 000, BCD: /10 000).
The segment is the low byte of the instrument token. A 1-byte message is the heartbeat. The decoded
packets use Kite's own field names (what the recorded `ticker_*.json` fixtures hold); `to_tick` turns one
into the unified `FeedTick` the streaming base publishes.
"""
from __future__ import annotations

import struct
from datetime import datetime
from typing import Any

from broker.ticks import DEPTH, LTP, QUOTE, FeedTick
from broker.zerodha.mapping import IST

# the segment codes carried in the token's low byte
SEGMENT_EXCHANGES = {1: "NSE", 2: "NFO", 3: "CDS", 4: "BSE", 5: "BFO", 6: "BCD", 7: "MCX", 8: "MCXSX",
                     9: "INDICES"}
_INDICES = 9
_DIVISORS = {3: 10_000_000.0, 6: 10_000.0}

LTP_SIZE, INDEX_QUOTE_SIZE, INDEX_FULL_SIZE, QUOTE_SIZE, FULL_SIZE = 8, 28, 32, 44, 184
_DEPTH_ENTRY = struct.Struct(">iih2x")
_LTP = struct.Struct(">Ii")
_INT = struct.Struct(">i")
_INDEX = struct.Struct(">iiiii")
_QUOTE = struct.Struct(">iiiiiiiii")
_FULL = struct.Struct(">iiiii")
_DEPTH = struct.Struct(">" + "iih2x" * 10)


def decode_frame(message: bytes) -> list[dict[str, Any]]:
    """All packets of one binary message; [] for the heartbeat or anything too short to hold a packet."""
    if len(message) < 4:
        return []
    count = struct.unpack_from(">h", message, 0)[0]
    packets, offset = [], 2
    for _ in range(count):
        if offset + 2 > len(message):
            break
        size = struct.unpack_from(">h", message, offset)[0]
        body = message[offset + 2: offset + 2 + size]
        offset += 2 + size
        if len(body) == size:
            packet = decode_packet(body)
            if packet is not None:
                packets.append(packet)
    return packets


def _time(seconds: int) -> datetime | None:
    return datetime.fromtimestamp(seconds, IST) if seconds else None


def decode_packet(body: bytes) -> dict[str, Any] | None:
    """One packet → Kite's tick dict; None for a length the documentation does not define."""
    size = len(body)
    if size < LTP_SIZE:
        return None
    token, last_price = _LTP.unpack_from(body)
    segment = token & 0xFF
    divisor = _DIVISORS.get(segment, 100.0)
    tick: dict[str, Any] = {"tradable": segment != _INDICES, "instrument_token": token,
                            "last_price": last_price / divisor}
    if size == LTP_SIZE:
        return {"mode": "ltp", **tick}
    if size in (INDEX_QUOTE_SIZE, INDEX_FULL_SIZE):
        high, low, open_, close, change = _INDEX.unpack_from(body, 8)
        tick.update(mode="quote" if size == INDEX_QUOTE_SIZE else "full", change=change / divisor,
                    ohlc={"high": high / divisor, "low": low / divisor, "open": open_ / divisor,
                          "close": close / divisor})
        if size == INDEX_FULL_SIZE:
            tick["timestamp"] = _time(_INT.unpack_from(body, 28)[0])
        return tick
    if size not in (QUOTE_SIZE, FULL_SIZE):
        return None
    quantity, average, volume, buy_quantity, sell_quantity, open_, high, low, close = _QUOTE.unpack_from(body, 8)
    tick.update(mode="quote", last_quantity=quantity, average_price=average / divisor, volume=volume,
                buy_quantity=buy_quantity, sell_quantity=sell_quantity,
                ohlc={"open": open_ / divisor, "high": high / divisor, "low": low / divisor, "close": close / divisor})
    tick["change"] = tick["last_price"] - close / divisor if close else 0.0
    if size == FULL_SIZE:
        last_trade, oi, oi_high, oi_low, exchange_time = _FULL.unpack_from(body, 44)
        book = _DEPTH.unpack_from(body, 64)    # (quantity, price, orders) × 10: five bids, then five asks
        levels = [{"price": book[i + 1] / divisor, "quantity": book[i], "orders": book[i + 2]}
                  for i in range(0, 30, 3)]
        tick.update(mode="full", last_trade_time=_time(last_trade), oi=oi, oi_day_high=oi_high,
                    oi_day_low=oi_low, timestamp=_time(exchange_time),
                    depth={"buy": levels[:5], "sell": levels[5:]})
    return tick


def _epoch_ms(moment: datetime | None) -> int | None:
    return int(moment.timestamp() * 1000) if moment else None


def to_tick(packet: dict[str, Any], exchange: str, symbol: str) -> FeedTick:
    """A decoded packet → the unified tick, named as the client subscribed (`exchange`, `symbol`)."""
    mode = {"ltp": LTP, "quote": QUOTE, "full": DEPTH}[packet["mode"]]
    ohlc = packet.get("ohlc", {})
    depth = packet.get("depth")
    if mode == DEPTH and depth is None:
        mode = QUOTE    # an index "full" packet has no book
    return FeedTick(
        exchange=exchange, symbol=symbol, ltp=packet["last_price"], mode=mode,
        timestamp=_epoch_ms(packet.get("timestamp")) or 0, ltt=_epoch_ms(packet.get("last_trade_time")),
        open=ohlc.get("open", 0.0), high=ohlc.get("high", 0.0), low=ohlc.get("low", 0.0),
        close=ohlc.get("close", 0.0), volume=packet.get("volume", 0),
        last_trade_quantity=packet.get("last_quantity", 0), avg_trade_price=packet.get("average_price", 0.0),
        oi=packet.get("oi"), total_buy_quantity=packet.get("buy_quantity"),
        total_sell_quantity=packet.get("sell_quantity"),
        bids=[(l["price"], l["quantity"], l["orders"]) for l in depth["buy"]] if depth else [],
        asks=[(l["price"], l["quantity"], l["orders"]) for l in depth["sell"]] if depth else [])


# -- encoding: the inverse, used by fake ticker servers in tests and to document the layout twice over
def encode_frame(packets: list[bytes]) -> bytes:
    return struct.pack(">h", len(packets)) + b"".join(struct.pack(">h", len(p)) + p for p in packets)


def encode_packet(fields: dict[str, Any]) -> bytes:
    """The inverse of `decode_packet` (timestamps as datetimes or epoch seconds)."""
    token, mode = fields["instrument_token"], fields["mode"]
    divisor = _DIVISORS.get(token & 0xFF, 100.0)

    def paise(value: float) -> int:
        return round(value * divisor)

    def seconds(value: Any) -> int:
        return int(value.timestamp()) if isinstance(value, datetime) else int(value or 0)

    body = _LTP.pack(token, paise(fields["last_price"]))
    if mode == "ltp":
        return body
    ohlc = fields.get("ohlc", {})
    if token & 0xFF == _INDICES:
        body += _INDEX.pack(paise(ohlc.get("high", 0)), paise(ohlc.get("low", 0)), paise(ohlc.get("open", 0)),
                            paise(ohlc.get("close", 0)), paise(fields.get("change", 0)))
        return body + _INT.pack(seconds(fields.get("timestamp"))) if mode == "full" else body
    body += struct.pack(">iiiiiiiii", fields.get("last_quantity", 0), paise(fields.get("average_price", 0)),
                        fields.get("volume", 0), fields.get("buy_quantity", 0), fields.get("sell_quantity", 0),
                        paise(ohlc.get("open", 0)), paise(ohlc.get("high", 0)), paise(ohlc.get("low", 0)),
                        paise(ohlc.get("close", 0)))
    if mode == "quote":
        return body
    body += struct.pack(">iiiii", seconds(fields.get("last_trade_time")), fields.get("oi", 0),
                        fields.get("oi_day_high", 0), fields.get("oi_day_low", 0), seconds(fields.get("timestamp")))
    depth = fields.get("depth", {"buy": [], "sell": []})
    for side in ("buy", "sell"):
        levels = list(depth.get(side, []))[:5]
        levels += [{"price": 0, "quantity": 0, "orders": 0}] * (5 - len(levels))
        body += b"".join(_DEPTH_ENTRY.pack(l["quantity"], paise(l["price"]), l["orders"]) for l in levels)
    return body
