"""Dhan's compact scrip master → unified rows (OpenAlgo symbols built with utils/symbols.py)."""
from __future__ import annotations

from datetime import date

import pytest

from broker.dhan.master_contract import ContractFormatError, convert_row, parse_scrip_master
from tests.fakes.dhan.fixtures import FIXTURES

ROWS = {(r.exchange, r.symbol): r for r in parse_scrip_master((FIXTURES / "scrip_master.csv").read_text())}


@pytest.mark.parametrize("exchange, symbol, brexchange, token, kind", [
    ("NSE", "HDFCBANK", "NSE_EQ", "1333", "EQ"), ("BSE", "HDFCBANK", "BSE_EQ", "500180", "EQ"),
    ("NSE_INDEX", "NIFTY", "IDX_I", "13", "INDEX"), ("NSE_INDEX", "INDIAVIX", "IDX_I", "21", "INDEX"),
    ("BSE_INDEX", "SENSEX", "IDX_I", "51", "INDEX"),
    ("NFO", "NIFTY26DEC24FUT", "NSE_FNO", "35001", "FUTIDX"),
    ("NFO", "NIFTY26DEC2424000CE", "NSE_FNO", "43120", "OPTIDX"),
    ("NFO", "NIFTY05DEC2424050CE", "NSE_FNO", "40750", "OPTIDX"),
    ("NFO", "IDEA26DEC247.5CE", "NSE_FNO", "61207", "OPTSTK"),
    ("BFO", "SENSEX27DEC2480000CE", "BSE_FNO", "1123452", "OPTIDX"),
    ("MCX", "CRUDEOIL18DEC24FUT", "MCX_COMM", "433353", "FUTCOM"),
    ("CDS", "USDINR27DEC2484.5CE", "NSE_CURRENCY", "10520", "OPTCUR"),
    ("BCD", "USDINR27DEC24FUT", "BSE_CURRENCY", "2501", "FUTCUR")])
def test_symbols_segments_and_tokens(exchange, symbol, brexchange, token, kind):
    row = ROWS[(exchange, symbol)]
    assert (row.brexchange, row.token, row.instrumenttype) == (brexchange, token, kind)


def test_derivative_details_and_ticks_in_rupees():
    option = ROWS[("NFO", "NIFTY26DEC2424000CE")]
    assert (option.expiry, option.strike, option.lotsize, option.brsymbol, option.name) == (
        date(2024, 12, 26), 24000.0, 75, "NIFTY-Dec2024-24000-CE", "NIFTY")
    assert option.tick_size == 0.05
    assert ROWS[("MCX", "CRUDEOIL18DEC24FUT")].tick_size == 1.0
    assert ROWS[("CDS", "USDINR27DEC24FUT")].tick_size == 0.0025
    assert ROWS[("NSE", "HDFCBANK")].name == "HDFC BANK LTD"


def test_unsupported_rows_are_skipped_and_symbols_stay_unique():
    assert len(ROWS) == 29                      # 30 rows; the calendar spread is not offered
    assert all(not r.brsymbol.startswith("NIFTY-SPREAD") for r in ROWS.values())
    assert convert_row({"SEM_EXM_EXCH_ID": "NCDEX", "SEM_SEGMENT": "M"}) is None
    assert convert_row({"SEM_EXM_EXCH_ID": "NSE", "SEM_SEGMENT": "E", "SEM_INSTRUMENT_NAME": "EQUITY",
                        "SEM_TRADING_SYMBOL": "", "SEM_SMST_SECURITY_ID": "1"}) is None


def test_not_a_scrip_master():
    with pytest.raises(ContractFormatError, match="SEM_SMST_SECURITY_ID"):
        list(parse_scrip_master("a,b\n1,2\n"))
