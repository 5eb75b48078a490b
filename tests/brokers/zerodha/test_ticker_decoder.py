"""The binary ticker decoder against Kite's recorded frames and their decoded JSON."""
from __future__ import annotations

import struct
from datetime import datetime

import pytest

from broker.ticks import DEPTH, QUOTE
from broker.zerodha.ticker_decoder import (decode_frame, decode_packet, encode_frame, encode_packet,
                                           to_tick)
from tests.fakes.fixtures import kite_json, kite_packet


def _expected(name: str) -> dict:
    """The recorded JSON with its ISO timestamps as datetimes. `change` is left out: it is not in the
    packet but derived by each client, and the recorded quote file carries the full frame's value."""
    data = kite_json(name)
    data.pop("change", None)
    for key in ("timestamp", "last_trade_time"):
        if key in data:
            data[key] = datetime.fromisoformat(data[key])
    return data


@pytest.mark.parametrize("packet, expected", [
    ("ticker_full.packet", "ticker_full.json"),
    ("ticker_quote.packet", "ticker_quote.json"),
])
def test_recorded_packets_decode_to_the_recorded_values(packet, expected):
    body = kite_packet(packet)
    [decoded] = decode_frame(encode_frame([body]))
    assert decoded["change"] == pytest.approx(decoded["last_price"] - decoded["ohlc"]["close"])
    decoded.pop("change")
    assert decoded == _expected(expected)


def test_ltp_packet_is_the_first_eight_bytes_of_a_quote():
    assert decode_packet(kite_packet("ticker_quote.packet")[:8]) == _expected("ticker_ltp.json")


def test_a_frame_carries_several_packets_and_the_heartbeat_carries_none():
    frame = encode_frame([kite_packet("ticker_full.packet"), kite_packet("ticker_quote.packet")[:8]])
    assert [p["mode"] for p in decode_frame(frame)] == ["full", "ltp"]
    assert decode_frame(b"\x00") == []


def test_index_packets_and_currency_divisors():
    nifty = 256265     # low byte 9: the indices segment
    body = struct.pack(">Iiiiiii", nifty, 2_250_000, 2_260_000, 2_240_000, 2_245_000, 2_230_000, 20_000)
    index = decode_packet(body)
    assert index["tradable"] is False and index["mode"] == "quote"
    assert index["last_price"] == 22500.0 and index["ohlc"]["close"] == 22300.0
    full = decode_packet(body + struct.pack(">i", 1_625_461_887))
    assert full["mode"] == "full" and full["timestamp"].isoformat() == "2021-07-05T10:41:27+05:30"
    assert encode_packet(index) == body and encode_packet(full) == body + struct.pack(">i", 1_625_461_887)
    usdinr = 412675    # low byte 3: CDS, prices in 1/10^7 rupees
    assert decode_packet(struct.pack(">Ii", usdinr, 725_000_000))["last_price"] == 72.5


def test_encoder_round_trips_a_full_packet():
    for name in ("ticker_full.packet", "ticker_quote.packet"):
        assert encode_packet(decode_packet(kite_packet(name))) == kite_packet(name)


def test_unified_tick_from_a_full_packet():
    tick = to_tick(decode_packet(kite_packet("ticker_full.packet")), "NSE", "INFY")
    assert (tick.exchange, tick.symbol, tick.mode, tick.ltp) == ("NSE", "INFY", DEPTH, 1573.7)
    assert tick.bids[0] == (1573.4, 5, 1) and tick.asks[4] == (1573.95, 724, 5)
    assert tick.volume == 1192471 and tick.close == 1567.8 and tick.ltt == 1625461887000
    quote = to_tick(decode_packet(kite_packet("ticker_quote.packet")), "NSE", "INFY")
    assert quote.mode == QUOTE and quote.bids == [] and quote.total_sell_quantity == 360503
