"""The JSON scrip master → unified rows: symbols, index exchanges, strikes ÷100 (CDS ÷10^7), tick sizes."""
from __future__ import annotations

from datetime import date

import pytest

from broker.angel.master_contract import ContractFormatError, convert_row, parse_scrip_master
from tests.fakes.angel.data import fixture, synthetic_master


@pytest.fixture(scope="module")
def rows():
    return {(r.exchange, r.symbol): r for r in parse_scrip_master(fixture("scrip_master.json"))}


def test_equities_drop_the_series_and_keep_token_lot_and_tick(rows):
    sbin = rows[("NSE", "SBIN")]
    assert (sbin.brsymbol, sbin.token, sbin.lotsize, sbin.tick_size, sbin.instrumenttype) == ("SBIN-EQ", "3045", 1, 0.05, "EQ")
    assert rows[("NSE", "RELIANCE")].tick_size == 0.1
    assert rows[("NSE", "SBIN-BE")].brsymbol == "SBIN-BE"            # no clash with the -EQ series
    assert rows[("BSE", "SBIN")].token == "500112"


def test_indices_go_to_the_index_exchanges(rows):
    nifty = rows[("NSE_INDEX", "NIFTY")]
    assert (nifty.brsymbol, nifty.brexchange, nifty.token, nifty.instrumenttype) == ("Nifty 50", "NSE", "99926000", "INDEX")
    assert ("NSE_INDEX", "BANKNIFTY") in rows and ("NSE_INDEX", "INDIAVIX") in rows
    assert rows[("BSE_INDEX", "SENSEX")].brexchange == "BSE"


def test_futures_and_options_get_openalgo_symbols(rows):
    fut = rows[("NFO", "NIFTY26DEC24FUT")]
    assert (fut.expiry, fut.lotsize, fut.instrumenttype, fut.brsymbol) == (date(2024, 12, 26), 25, "FUT", "NIFTY26DEC24FUT")
    ce = rows[("NFO", "NIFTY26DEC2425000CE")]
    assert (ce.strike, ce.instrumenttype, ce.token) == (25000.0, "CE", "35003")
    assert rows[("NFO", "SBIN26DEC24812.5CE")].strike == 812.5
    assert rows[("BFO", "SENSEX24DEC2481000CE")].brsymbol == "SENSEX24D2781000CE"     # weekly trading symbol
    assert rows[("MCX", "CRUDEOIL19DEC24FUT")].lotsize == 100
    assert rows[("MCX", "CRUDEOIL17DEC245900CE")].strike == 5900.0


def test_currency_strikes_are_stored_times_ten_million(rows):
    option = rows[("CDS", "USDINR29OCT2583.25CE")]
    assert (option.strike, option.tick_size) == (83.25, 0.0025)
    assert ("CDS", "USDINR27DEC24FUT") in rows


def test_segments_we_do_not_offer_are_left_out(rows):
    assert not [r for r in rows.values() if r.brexchange == "NCDEX"]
    assert convert_row({"token": "1", "symbol": "X", "name": "X", "expiry": "", "strike": "0", "lotsize": "1",
                        "instrumenttype": "", "exch_seg": "NCO", "tick_size": "1"}) is None


def test_every_row_is_unique_and_records_are_well_formed(rows):
    for row in rows.values():
        record = row.record()
        assert record["symbol"] and record["token"] and record["lotsize"] >= 1 and record["tick_size"] > 0


def test_not_a_scrip_master_is_refused():
    with pytest.raises(ContractFormatError):
        list(parse_scrip_master([{"instrument_token": "1"}]))


def test_download_through_the_fake(plugin, session, angel):
    angel.master_rows = list(synthetic_master(2000))
    messages: list[str] = []
    got = list(plugin.master_contract.download(session, messages.append))
    assert len(got) == 2000 and messages[-1] == "2000 instruments read"
    seen = angel.requests_to("/OpenAPI_File")[-1].headers
    assert "X-Privatekey" not in seen and "Authorization" not in seen     # a public file: no SmartAPI keys sent


def test_a_failed_download_is_a_clear_error(plugin, session, angel):
    angel.fail_next(404, paths=("/OpenAPI_File",))
    with pytest.raises(ContractFormatError, match="HTTP 404"):
        list(plugin.master_contract.download(session, lambda message: None))
