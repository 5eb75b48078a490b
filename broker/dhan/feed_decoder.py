"""Decoding (and, for tests and the fake feed, encoding) of Dhan's live market feed packets.

DhanHQ v2 "Live Market Feed": requests are JSON, answers are binary, little-endian. Every packet starts
with an 8-byte response header — response code (uint8), message length (int16, the whole packet),
exchange segment (uint8, the Annexure's enum) and security id (int32) — followed by a payload whose
layout the response code fixes:

    2  ticker      LTP float32, last trade time int32                                         16 bytes
    4  quote       LTP, LTQ int16, LTT, ATP, volume, total sell qty, total buy qty,
                   day open / close / high / low (float32)                                    50 bytes
    5  OI          open interest int32                                                        12 bytes
    6  prev close  previous close float32, previous OI int32                                  16 bytes
    7  status      market status, header only                                                  8 bytes
    8  full        quote fields + OI, OI day high, OI day low before the OHLC, then 5 depth
                   levels of bid qty, ask qty (int32), bid orders, ask orders (int16),
                   bid price, ask price (float32)                                            162 bytes
   50  disconnect  reason code int16 (805 too many connections, 806 data APIs not
                   subscribed, 807 token expired, 808 invalid client id, 809 auth failed)      10 bytes

Code 1 (index packet) is listed in the Annexure without a layout; it is read like a ticker. Prices are
rupees as float32 (rounded to 4 places here). Times count seconds of Indian wall-clock time — decoding
them as UTC shows the time in India, which is what the official SDK prints — so `ltt_epoch` subtracts
5h30 to give the true instant. One WebSocket message may carry several packets back to back.
"""
from __future__ import annotations

import struct
from typing import Any, Iterator

HEADER = struct.Struct("<BHBI")
_TICKER = struct.Struct("<fI")
_QUOTE = struct.Struct("<fHIfIIIffff")
_OI = struct.Struct("<I")
_PREV_CLOSE = struct.Struct("<fI")
_FULL = struct.Struct("<fHIfIIIIIIffff")
_DEPTH_LEVEL = struct.Struct("<IIHHff")
_DISCONNECT = struct.Struct("<H")

INDEX, TICKER, QUOTE, OI, PREV_CLOSE, MARKET_STATUS, FULL, DISCONNECT = 1, 2, 4, 5, 6, 7, 8, 50
PACKET_SIZES = {INDEX: 16, TICKER: 16, QUOTE: 50, OI: 12, PREV_CLOSE: 16, MARKET_STATUS: 8, FULL: 162,
                DISCONNECT: 10}
DEPTH_LEVELS = 5
IST_OFFSET_SECONDS = 19800
DISCONNECT_REASONS = {805: "too many WebSocket connections", 806: "Data APIs not subscribed",
                      807: "access token expired", 808: "invalid client id", 809: "authentication failed"}


def _price(value: float) -> float:
    return round(value, 4)


def ltt_epoch(ltt: int) -> int | None:
    """The feed's IST wall-clock seconds → the true epoch second (None when Dhan sends 0)."""
    return ltt - IST_OFFSET_SECONDS if ltt else None


def decode_message(message: bytes) -> list[dict[str, Any]]:
    """Every packet of one binary WebSocket message; unknown or truncated packets end the walk."""
    return list(_walk(bytes(message)))


def _walk(message: bytes) -> Iterator[dict[str, Any]]:
    offset = 0
    while offset + HEADER.size <= len(message):
        code = message[offset]
        size = PACKET_SIZES.get(code)
        if size is None or offset + size > len(message):
            return
        yield decode_packet(message[offset:offset + size])
        offset += size


def decode_packet(packet: bytes) -> dict[str, Any]:
    """One packet → a dict named after Dhan's fields (`type` says which packet it was)."""
    code, _length, segment, security_id = HEADER.unpack_from(packet)
    base: dict[str, Any] = {"code": code, "exchange_segment": segment, "security_id": security_id}
    body = HEADER.size
    if code in (TICKER, INDEX):
        ltp, ltt = _TICKER.unpack_from(packet, body)
        return {**base, "type": "ticker", "ltp": _price(ltp), "ltt": ltt}
    if code == QUOTE:
        ltp, ltq, ltt, atp, volume, sell, buy, open_, close, high, low = _QUOTE.unpack_from(packet, body)
        return {**base, "type": "quote", "ltp": _price(ltp), "ltq": ltq, "ltt": ltt, "atp": _price(atp),
                "volume": volume, "total_sell_quantity": sell, "total_buy_quantity": buy,
                "open": _price(open_), "close": _price(close), "high": _price(high), "low": _price(low)}
    if code == OI:
        return {**base, "type": "oi", "oi": _OI.unpack_from(packet, body)[0]}
    if code == PREV_CLOSE:
        prev_close, prev_oi = _PREV_CLOSE.unpack_from(packet, body)
        return {**base, "type": "prev_close", "prev_close": _price(prev_close), "prev_oi": prev_oi}
    if code == MARKET_STATUS:
        return {**base, "type": "market_status"}
    if code == FULL:
        (ltp, ltq, ltt, atp, volume, sell, buy, oi, oi_high, oi_low,
         open_, close, high, low) = _FULL.unpack_from(packet, body)
        depth_at = body + _FULL.size
        depth = []
        for level in range(DEPTH_LEVELS):
            bid_qty, ask_qty, bid_orders, ask_orders, bid, ask = _DEPTH_LEVEL.unpack_from(
                packet, depth_at + level * _DEPTH_LEVEL.size)
            depth.append({"bid_quantity": bid_qty, "ask_quantity": ask_qty, "bid_orders": bid_orders,
                          "ask_orders": ask_orders, "bid_price": _price(bid), "ask_price": _price(ask)})
        return {**base, "type": "full", "ltp": _price(ltp), "ltq": ltq, "ltt": ltt, "atp": _price(atp),
                "volume": volume, "total_sell_quantity": sell, "total_buy_quantity": buy, "oi": oi,
                "oi_day_high": oi_high, "oi_day_low": oi_low, "open": _price(open_), "close": _price(close),
                "high": _price(high), "low": _price(low), "depth": depth}
    if code == DISCONNECT:
        reason = _DISCONNECT.unpack_from(packet, body)[0]
        return {**base, "type": "disconnect", "reason_code": reason,
                "reason": DISCONNECT_REASONS.get(reason, f"code {reason}")}
    raise ValueError(f"unknown Dhan feed response code {code}")


# -- encoding: the inverse, used by the fake feed server and round-trip tests
def _header(code: int, segment: int, security_id: int) -> bytes:
    return HEADER.pack(code, PACKET_SIZES[code], segment, security_id)


def encode_packet(kind: str, fields: dict[str, Any]) -> bytes:
    """`kind` is a decoded packet's `type`; `fields` use the decoded names."""
    segment, security_id = int(fields["exchange_segment"]), int(fields["security_id"])
    get = fields.get
    if kind == "ticker":
        return _header(TICKER, segment, security_id) + _TICKER.pack(get("ltp", 0.0), get("ltt", 0))
    if kind == "quote":
        return _header(QUOTE, segment, security_id) + _QUOTE.pack(
            get("ltp", 0.0), get("ltq", 0), get("ltt", 0), get("atp", 0.0), get("volume", 0),
            get("total_sell_quantity", 0), get("total_buy_quantity", 0), get("open", 0.0), get("close", 0.0),
            get("high", 0.0), get("low", 0.0))
    if kind == "oi":
        return _header(OI, segment, security_id) + _OI.pack(get("oi", 0))
    if kind == "prev_close":
        return _header(PREV_CLOSE, segment, security_id) + _PREV_CLOSE.pack(get("prev_close", 0.0),
                                                                            get("prev_oi", 0))
    if kind == "market_status":
        return _header(MARKET_STATUS, segment, security_id)
    if kind == "full":
        levels = list(get("depth") or [])[:DEPTH_LEVELS]
        empty = {"bid_quantity": 0, "ask_quantity": 0, "bid_orders": 0, "ask_orders": 0, "bid_price": 0.0,
                 "ask_price": 0.0}
        levels += [empty] * (DEPTH_LEVELS - len(levels))
        depth = b"".join(_DEPTH_LEVEL.pack(l["bid_quantity"], l["ask_quantity"], l["bid_orders"],
                                           l["ask_orders"], l["bid_price"], l["ask_price"]) for l in levels)
        return _header(FULL, segment, security_id) + _FULL.pack(
            get("ltp", 0.0), get("ltq", 0), get("ltt", 0), get("atp", 0.0), get("volume", 0),
            get("total_sell_quantity", 0), get("total_buy_quantity", 0), get("oi", 0), get("oi_day_high", 0),
            get("oi_day_low", 0), get("open", 0.0), get("close", 0.0), get("high", 0.0), get("low", 0.0)) + depth
    if kind == "disconnect":
        return _header(DISCONNECT, segment, security_id) + _DISCONNECT.pack(get("reason_code", 0))
    raise ValueError(f"cannot encode a Dhan feed packet of kind {kind!r}")
