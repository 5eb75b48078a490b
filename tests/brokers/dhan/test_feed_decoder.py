"""Dhan's binary feed packets: decoded per the documented layout, and encoded back byte for byte."""
from __future__ import annotations

import struct

import pytest

from broker.dhan.feed_decoder import (DISCONNECT, FULL, HEADER, PACKET_SIZES, QUOTE, TICKER, decode_message,
                                      decode_packet, encode_packet, ltt_epoch)
from tests.fakes.dhan.fixtures import dhan_json

PACKETS = dhan_json("feed_packets.json")
KINDS = {"ticker": "ticker", "quote": "quote", "full": "full", "oi": "oi", "prev_close": "prev_close",
         "index_ticker": "ticker", "disconnect": "disconnect"}


@pytest.mark.parametrize("name", sorted(KINDS))
def test_round_trip(name):
    fields, kind = PACKETS[name], KINDS[name]
    packet = encode_packet(kind, fields)
    decoded = decode_packet(packet)
    assert decoded["type"] == kind and len(packet) == PACKET_SIZES[decoded["code"]]
    for key, value in fields.items():
        if key == "depth":
            assert decoded["depth"] == value
        else:
            assert decoded[key] == pytest.approx(value), key
    assert encode_packet(kind, decoded) == packet


def test_header_is_little_endian_with_the_packet_length():
    packet = encode_packet("full", PACKETS["full"])
    code, length, segment, security_id = struct.unpack("<BHBI", packet[:8])
    assert (code, length, segment, security_id) == (FULL, 162, 2, 43120)
    assert HEADER.size == 8
    # LTP float32 right after the header; the first depth level starts at byte 62
    assert struct.unpack_from("<f", packet, 8)[0] == pytest.approx(120.5)
    assert struct.unpack_from("<IIHHff", packet, 62)[:4] == (1800, 1000, 4, 2)


def test_layout_is_the_documented_one_byte_for_byte():
    quote = PACKETS["quote"]
    hand_built = struct.pack("<BHBIfHIfIIIffff", QUOTE, 50, 1, 1333, quote["ltp"], quote["ltq"], quote["ltt"],
                             quote["atp"], quote["volume"], quote["total_sell_quantity"],
                             quote["total_buy_quantity"], quote["open"], quote["close"], quote["high"], quote["low"])
    assert decode_packet(hand_built)["total_buy_quantity"] == 398120
    assert encode_packet("quote", quote) == hand_built


def test_several_packets_in_one_message_and_a_truncated_tail():
    message = (encode_packet("ticker", PACKETS["ticker"]) + encode_packet("prev_close", PACKETS["prev_close"])
               + encode_packet("full", PACKETS["full"]))
    decoded = decode_message(message + encode_packet("quote", PACKETS["quote"])[:20])
    assert [p["type"] for p in decoded] == ["ticker", "prev_close", "full"]
    assert decode_message(b"") == [] and decode_message(b"\x63" + bytes(20)) == []


def test_disconnect_reason_and_the_ist_clock():
    decoded = decode_packet(encode_packet("disconnect", PACKETS["disconnect"]))
    assert (decoded["reason_code"], decoded["reason"]) == (807, "access token expired")
    assert DISCONNECT == 50 and TICKER == 2
    assert ltt_epoch(1726042062) == 1726042062 - 19800 and ltt_epoch(0) is None
