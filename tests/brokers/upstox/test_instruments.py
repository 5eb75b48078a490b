"""Upstox's JSON instrument master → unified master-contract rows (OpenAlgo symbols via utils/symbols.py)."""
from __future__ import annotations

import gzip
import json
from datetime import date

import pytest

from broker.upstox.instruments import ContractFormatError, parse_instruments, read_master
from tests.brokers.upstox.fixtures import UPSTOX, upstox_json


@pytest.fixture(scope="module")
def rows():
    return {(i.exchange, i.symbol): i for i in parse_instruments(upstox_json("instruments_complete.json"))}


def test_equities_keep_their_instrument_key_as_token(rows) -> None:
    sbin = rows[("NSE", "SBIN")]
    assert (sbin.token, sbin.brexchange, sbin.brsymbol, sbin.instrumenttype) == ("NSE_EQ|INE062A01020", "NSE_EQ",
                                                                                 "SBIN", "EQ")
    assert sbin.tick_size == 0.05 and sbin.lotsize == 1 and sbin.expiry is None     # tick size given in paise
    assert rows[("BSE", "RELIANCE")].token == "BSE_EQ|INE002A01018"


def test_indices_get_openalgo_names_on_the_index_exchanges(rows) -> None:
    assert {s for e, s in rows if e == "NSE_INDEX"} == {"NIFTY", "BANKNIFTY", "INDIAVIX"}
    assert rows[("BSE_INDEX", "SENSEX")].token == "BSE_INDEX|SENSEX"
    assert rows[("NSE_INDEX", "NIFTY")].instrumenttype == "INDEX"


@pytest.mark.parametrize("exchange, symbol, token, expiry, strike, lot", [
    ("NFO", "NIFTY26DEC24FUT", "NSE_FO|35005", date(2024, 12, 26), 0.0, 25),
    ("NFO", "NIFTY26DEC2424000CE", "NSE_FO|54524", date(2024, 12, 26), 24000.0, 25),
    ("NFO", "NIFTY19DEC2421500PE", "NSE_FO|35003", date(2024, 12, 19), 21500.0, 25),       # a weekly
    ("NFO", "BANKNIFTY24DEC2452500.5CE", "NSE_FO|43919", date(2024, 12, 24), 52500.5, 15),
    ("BFO", "SENSEX20DEC2480000PE", "BSE_FO|1131901", date(2024, 12, 20), 80000.0, 10),
    ("MCX", "CRUDEOIL18DEC24FUT", "MCX_FO|430106", date(2024, 12, 18), 0.0, 100),
    ("MCX", "GOLDM26DEC2477000CE", "MCX_FO|440211", date(2024, 12, 26), 77000.0, 10),
    ("CDS", "USDINR27DEC2485.25CE", "NCD_FO|1278", date(2024, 12, 27), 85.25, 1000),
    ("BCD", "EURINR27DEC24FUT", "BCD_FO|998", date(2024, 12, 27), 0.0, 1000),
])
def test_derivatives(rows, exchange: str, symbol: str, token: str, expiry: date, strike: float, lot: int) -> None:
    row = rows[(exchange, symbol)]
    assert (row.token, row.expiry, row.strike, row.lotsize) == (token, expiry, strike, lot)
    assert row.record()["expiry"] == expiry.strftime("%d-%b-%y").upper()


def test_freeze_quantity_and_currency_tick_size(rows) -> None:
    assert rows[("NFO", "NIFTY26DEC2424000CE")].freeze_qty == 1800
    assert rows[("CDS", "USDINR27DEC24FUT")].tick_size == 0.0025


def test_segments_we_do_not_offer_are_left_out(rows) -> None:
    assert not [r for r in rows.values() if r.brexchange == "NSE_COM"]


def test_every_exchange_and_symbol_is_unique_and_a_clash_keeps_the_trading_symbol() -> None:
    master = upstox_json("instruments_complete.json")
    twin = dict(master[1], instrument_key="NSE_EQ|INE062A01099", trading_symbol="SBIN-BE")
    parsed = list(parse_instruments(master + [twin]))
    assert len({(r.exchange, r.symbol) for r in parsed}) == len(parsed)
    assert {r.symbol for r in parsed if r.brsymbol.startswith("SBIN") and r.exchange == "NSE"} == {"SBIN", "SBIN-BE"}


def test_reading_the_gzipped_download() -> None:
    raw = (UPSTOX / "instruments_complete.json").read_bytes()
    assert read_master(gzip.compress(raw)) == read_master(raw) == json.loads(raw)


@pytest.mark.parametrize("data", [b"\x1f\x8bbroken", b"<html>", json.dumps({"a": 1}).encode(),
                                  json.dumps([{"segment": "NSE_EQ"}]).encode()])
def test_a_download_that_is_not_the_master_is_refused(data: bytes) -> None:
    with pytest.raises(ContractFormatError):
        read_master(data)
