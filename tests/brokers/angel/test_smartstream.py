"""SmartStream 2.0 packets: the documented byte layout decodes, encode/decode round-trips, ticks in rupees."""
from __future__ import annotations

import struct

import pytest

from broker.angel.smartstream import PACKET_SIZES, PacketError, decode_packet, encode_packet, to_tick
from broker.ticks import DEPTH, LTP, QUOTE


def _snap(exchange_type: int = 1, ltp: int = 81245) -> dict:
    return {"mode": 3, "exchange_type": exchange_type, "token": "3045", "sequence_number": 7,
            "exchange_timestamp": 1_700_000_000_123, "last_traded_price": ltp, "last_traded_quantity": 5,
            "average_traded_price": ltp - 10, "volume": 123456, "total_buy_quantity": 1500.0,
            "total_sell_quantity": 2500.0, "open": ltp - 100, "high": ltp + 200, "low": ltp - 300,
            "close": ltp - 50, "last_traded_timestamp": 1_700_000_000_000, "open_interest": 42,
            "oi_change_percent": 1.5, "upper_circuit": ltp + 8000, "lower_circuit": ltp - 8000,
            "high_52_week": ltp + 9000, "low_52_week": ltp - 9000,
            "bids": [{"price": ltp - 5 * (i + 1), "quantity": 10 + i, "orders": i + 1} for i in range(5)],
            "asks": [{"price": ltp + 5 * (i + 1), "quantity": 20 + i, "orders": i + 2} for i in range(5)]}


def test_the_documented_offsets_decode():
    """An LTP packet built by hand from the docs' byte table, not with our encoder."""
    data = struct.pack("<BB", 1, 2) + b"35014".ljust(25, b"\x00") + struct.pack("<qqq", 99, 1_700_000_000_000, 2_401_050)
    assert len(data) == PACKET_SIZES[1] == 51
    packet = decode_packet(data)
    assert (packet["mode"], packet["exchange_type"], packet["token"], packet["sequence_number"],
            packet["last_traded_price"]) == (1, 2, "35014", 99, 2_401_050)
    quote = data[:0] + struct.pack("<BB", 2, 1) + data[2:] + struct.pack("<qqqddqqqq", 5, 6, 7, 8.0, 9.0, 10, 11, 12, 13)
    assert len(quote) == 123 and decode_packet(quote)["close"] == 13 and decode_packet(quote)["total_sell_quantity"] == 9.0


@pytest.mark.parametrize("mode", [1, 2, 3])
def test_encode_decode_round_trip(mode):
    packet = {k: v for k, v in _snap().items()}
    packet["mode"] = mode
    data = encode_packet(packet)
    assert len(data) == PACKET_SIZES[mode]
    decoded = decode_packet(data)
    for name, value in decoded.items():
        assert value == packet[name], name
    assert encode_packet(decoded) == data


def test_snapquote_book_order_and_flags():
    data = encode_packet(_snap())
    flags = [struct.unpack_from("<h", data, 147 + 20 * i)[0] for i in range(10)]
    assert flags == [1] * 5 + [0] * 5          # buy flag 1 first, then sell flag 0
    decoded = decode_packet(data)
    assert decoded["bids"][0] == {"price": 81240, "quantity": 10, "orders": 1}
    assert decoded["asks"][4] == {"price": 81270, "quantity": 24, "orders": 6}


def test_ticks_are_in_rupees_and_rich_as_their_mode():
    tick = to_tick(decode_packet(encode_packet(_snap())), "NSE", "SBIN")
    assert (tick.mode, tick.ltp, tick.open, tick.close, tick.volume, tick.oi) == (DEPTH, 812.45, 811.45, 811.95, 123456, 42)
    assert tick.bids[0] == (812.4, 10, 1) and tick.asks[0] == (812.5, 20, 2)
    assert (tick.upper_circuit, tick.ltt, tick.total_buy_quantity) == (892.45, 1_700_000_000_000, 1500)
    ltp_only = to_tick(decode_packet(encode_packet({**_snap(), "mode": 1})), "NSE", "SBIN")
    assert (ltp_only.mode, ltp_only.ltp, ltp_only.bids, ltp_only.ltt) == (LTP, 812.45, [], 1_700_000_000_123)
    assert to_tick(decode_packet(encode_packet({**_snap(), "mode": 2})), "NSE", "SBIN").mode == QUOTE


def test_currency_prices_carry_seven_decimals():
    tick = to_tick(decode_packet(encode_packet(_snap(exchange_type=13, ltp=832_512_500))), "CDS", "USDINR")
    assert tick.ltp == 83.25125


def test_short_or_unknown_packets_are_refused():
    with pytest.raises(PacketError):
        decode_packet(b"\x01\x01short")
    with pytest.raises(PacketError):
        decode_packet(encode_packet({**_snap(), "mode": 3})[:200])
    with pytest.raises(PacketError):
        decode_packet(bytes([9]) + encode_packet({**_snap(), "mode": 1})[1:])
