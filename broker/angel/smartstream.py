"""SmartStream 2.0 binary packets: decoder, encoder (for round-trip tests and the fake feed), tick mapping.

Layout (SmartAPI "WebSocket 2.0" docs, "Response contract"; every number little-endian): one packet per
binary frame.

    0   uint8   subscription mode (1 LTP, 2 Quote, 3 SnapQuote)
    1   uint8   exchange type (1 nse_cm, 2 nse_fo, 3 bse_cm, 4 bse_fo, 5 mcx_fo, 7 ncx_fo, 13 cde_fo)
    2   char25  token, NUL-terminated
    27  int64   sequence number           35  int64  exchange timestamp (epoch ms)
    43  int64   last traded price                                             → LTP packet: 51 bytes
    51  int64   last traded quantity      59  int64  average traded price
    67  int64   volume traded today       75  double total buy quantity   83  double total sell quantity
    91  int64   open   99 int64 high   107 int64 low   115 int64 close         → Quote packet: 123 bytes
    123 int64   last traded timestamp     131 int64  open interest        139 double OI change %
    147 10 × (int16 buy/sell flag (1 buy, 0 sell), int64 quantity, int64 price, int16 orders) = best five
    347 int64   upper circuit   355 int64 lower circuit   363 int64 52-week high   371 int64 52-week low
                                                                                → SnapQuote packet: 379 bytes

Prices are in paise (÷100); currency derivatives (cde_fo) carry seven decimals (÷10^7).
"""
from __future__ import annotations

import struct
from typing import Any

from broker.ticks import DEPTH, LTP, QUOTE, FeedTick

MODE_LTP, MODE_QUOTE, MODE_SNAP_QUOTE = 1, 2, 3
PACKET_SIZES = {MODE_LTP: 51, MODE_QUOTE: 123, MODE_SNAP_QUOTE: 379}
CURRENCY_EXCHANGE_TYPE = 13

_HEADER = struct.Struct("<BB25sqqq")                 # mode, exchange type, token, sequence, time, ltp
_QUOTE = struct.Struct("<qqqddqqqq")                 # ltq, atp, volume, buy qty, sell qty, o, h, l, c
_SNAP = struct.Struct("<qqd")                         # last trade time, oi, oi change %
_LEVEL = struct.Struct("<hqqh")                       # flag, quantity, price, orders
_LIMITS = struct.Struct("<qqqq")                      # upper circuit, lower circuit, 52w high, 52w low
_QUOTE_FIELDS = ("last_traded_quantity", "average_traded_price", "volume", "total_buy_quantity",
                 "total_sell_quantity", "open", "high", "low", "close")
_PRICE_FIELDS = ("last_traded_price", "average_traded_price", "open", "high", "low", "close", "upper_circuit",
                 "lower_circuit", "high_52_week", "low_52_week")
_LIMIT_FIELDS = ("upper_circuit", "lower_circuit", "high_52_week", "low_52_week")
DEPTH_LEVELS = 5


class PacketError(ValueError):
    """A binary frame that is not a SmartStream packet of a known mode."""


def price_divisor(exchange_type: int) -> int:
    return 10_000_000 if exchange_type == CURRENCY_EXCHANGE_TYPE else 100


def decode_packet(data: bytes) -> dict[str, Any]:
    """One binary frame → a dict of raw integer fields (prices still in paise), depth as level lists."""
    if len(data) < PACKET_SIZES[MODE_LTP]:
        raise PacketError(f"SmartStream packet of {len(data)} bytes is shorter than an LTP packet")
    mode, exchange_type, token, sequence, timestamp, ltp = _HEADER.unpack_from(data, 0)
    if mode not in PACKET_SIZES or len(data) < PACKET_SIZES[mode]:
        raise PacketError(f"SmartStream packet of mode {mode} has {len(data)} bytes")
    packet: dict[str, Any] = {"mode": mode, "exchange_type": exchange_type,
                              "token": token.split(b"\x00", 1)[0].decode("ascii"), "sequence_number": sequence,
                              "exchange_timestamp": timestamp, "last_traded_price": ltp}
    if mode >= MODE_QUOTE:
        packet.update(zip(_QUOTE_FIELDS, _QUOTE.unpack_from(data, 51)))
    if mode == MODE_SNAP_QUOTE:
        packet["last_traded_timestamp"], packet["open_interest"], packet["oi_change_percent"] = \
            _SNAP.unpack_from(data, 123)
        bids, asks = [], []
        for index in range(2 * DEPTH_LEVELS):
            flag, quantity, price, orders = _LEVEL.unpack_from(data, 147 + index * _LEVEL.size)
            (bids if flag == 1 else asks).append({"price": price, "quantity": quantity, "orders": orders})
        packet["bids"], packet["asks"] = bids, asks
        packet.update(zip(_LIMIT_FIELDS, _LIMITS.unpack_from(data, 347)))
    return packet


def encode_packet(packet: dict[str, Any]) -> bytes:
    """The inverse of `decode_packet` (missing fields are zero): what the fake feed sends."""
    mode = packet["mode"]
    out = bytearray(_HEADER.pack(mode, packet["exchange_type"], str(packet["token"]).encode("ascii"),
                                 packet.get("sequence_number", 0), packet.get("exchange_timestamp", 0),
                                 packet.get("last_traded_price", 0)))
    if mode >= MODE_QUOTE:
        out += _QUOTE.pack(*(packet.get(name, 0) for name in _QUOTE_FIELDS))
    if mode == MODE_SNAP_QUOTE:
        out += _SNAP.pack(packet.get("last_traded_timestamp", 0), packet.get("open_interest", 0),
                          float(packet.get("oi_change_percent", 0)))
        levels = [(1, level) for level in packet.get("bids", [])[:DEPTH_LEVELS]]
        levels += [(0, level) for level in packet.get("asks", [])[:DEPTH_LEVELS]]
        levels += [(0, {})] * (2 * DEPTH_LEVELS - len(levels))
        for flag, level in levels:
            out += _LEVEL.pack(flag, level.get("quantity", 0), level.get("price", 0), level.get("orders", 0))
        out += _LIMITS.pack(*(packet.get(name, 0) for name in _LIMIT_FIELDS))
    return bytes(out)


def _levels(levels: list[dict[str, Any]], divisor: int) -> list[tuple[float, int, int]]:
    return [(level["price"] / divisor, int(level["quantity"]), int(level["orders"])) for level in levels
            if level["price"] or level["quantity"]]


_TICK_MODE = {MODE_LTP: LTP, MODE_QUOTE: QUOTE, MODE_SNAP_QUOTE: DEPTH}


def to_tick(packet: dict[str, Any], exchange: str, symbol: str) -> FeedTick:
    """A decoded packet → the unified tick for the OpenAlgo (exchange, symbol) that subscribed it."""
    divisor = price_divisor(packet["exchange_type"])
    price = {name: packet[name] / divisor for name in _PRICE_FIELDS if name in packet}
    mode = packet["mode"]
    tick = FeedTick(exchange=exchange, symbol=symbol, ltp=price["last_traded_price"], mode=_TICK_MODE[mode],
                ltt=packet.get("last_traded_timestamp") or packet["exchange_timestamp"] or None)
    if mode >= MODE_QUOTE:
        tick.open, tick.high, tick.low, tick.close = price["open"], price["high"], price["low"], price["close"]
        tick.volume = int(packet["volume"])
        tick.last_trade_quantity = int(packet["last_traded_quantity"])
        tick.avg_trade_price = price["average_traded_price"]
        tick.total_buy_quantity = int(packet["total_buy_quantity"])
        tick.total_sell_quantity = int(packet["total_sell_quantity"])
    if mode == MODE_SNAP_QUOTE:
        tick.oi = int(packet["open_interest"])
        tick.upper_circuit, tick.lower_circuit = price["upper_circuit"], price["lower_circuit"]
        tick.bids = _levels(packet["bids"], divisor)
        tick.asks = _levels(packet["asks"], divisor)
    return tick
