"""Kite's instrument CSV → unified symbols, on the recorded dump and on rows of the kinds it lacks."""
from __future__ import annotations

import pytest

from broker.zerodha.master_contract import ContractFormatError, parse_instruments
from tests.fakes.fixtures import KITE

def list_of(text: str) -> list:
    return list(parse_instruments(text))


HEADER = ("instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,"
          "instrument_type,segment,exchange\n")


@pytest.fixture(scope="module")
def recorded():
    text = (KITE / "instruments_all.csv").read_text()
    return {(row.exchange, row.symbol): row for row in parse_instruments(text)}


def test_every_recorded_instrument_gets_a_unique_symbol_and_keeps_its_token(recorded):
    tokens = {row.token for row in recorded.values()}
    assert len(recorded) == len(tokens) == 99      # every data row of the dump, none merged


def test_nse_equity_drops_the_series_suffix(recorded):
    row = recorded["NSE", "CENTRALBK"]
    assert (row.brsymbol, row.brexchange, row.token, row.instrumenttype) == ("CENTRALBK-BE", "NSE", "3813889", "EQ")
    assert row.expiry is None and row.lotsize == 1 and row.tick_size == 0.05


def test_series_that_would_collide_keep_their_exchange_name(recorded):
    assert recorded["NSE", "CDSL"].brsymbol == "CDSL"
    assert recorded["NSE", "CDSL-BE"].token == "5421569" and recorded["NSE", "CDSL-BL"].token == "5421313"


def test_bse_equity(recorded):
    row = recorded["BSE", "COX&KINGS"]
    assert (row.brexchange, row.token, row.name) == ("BSE", "136484868", "COX & KINGS")


@pytest.mark.parametrize("symbol, brsymbol, expiry, strike, lot, kind", [
    ("BANKNIFTY25JAN1823500CE", "BANKNIFTY18JAN23500CE", "25-JAN-18", 23500.0, 40, "CE"),
    ("ADANIPORTS28DEC17490PE", "ADANIPORTS17DEC490PE", "28-DEC-17", 490.0, 2500, "PE"),
])
def test_options_carry_expiry_strike_and_lot(recorded, symbol, brsymbol, expiry, strike, lot, kind):
    row = recorded["NFO", symbol]
    assert (row.brsymbol, row.record()["expiry"], row.strike, row.lotsize, row.instrumenttype) == (
        brsymbol, expiry, strike, lot, kind)


def test_futures_indices_and_weekly_options():
    text = HEADER + "\n".join([
        "256265,1001,NIFTY 50,NIFTY 50,0,,0,0,0,EQ,INDICES,NSE",
        "260105,1016,NIFTY BANK,NIFTY BANK,0,,0,0,0,EQ,INDICES,NSE",
        "265,1,SENSEX,SENSEX,0,,0,0,0,EQ,INDICES,BSE",
        "264969,1035,NIFTY IT,NIFTY IT,0,,0,0,0,EQ,INDICES,NSE",
        "13238786,51714,NIFTY25DECFUT,NIFTY,0,2025-12-30,0,0.1,75,FUT,NFO-FUT,NFO",
        "53496327,208970,LEADMINI17DECFUT,,0,2017-12-29,0,0.05,1000,FUT,MCX-FUT,MCX",
        "9999106,1,NIFTY2511826000CE,NIFTY,0,2025-01-18,26000,0.05,75,CE,NFO-OPT,NFO",
        "412675,1612,USDINR21JUNFUT,USDINR,0,2021-06-28,0,0.0025,1,FUT,CDS-FUT,CDS",
        "1234,1,SOMEBOND,SOMEBOND,0,,0,0.01,1,EQ,MF,MF",
    ]) + "\n"
    rows = {(r.exchange, r.symbol): r for r in list_of(text)}
    assert set(rows) == {("NSE_INDEX", "NIFTY"), ("NSE_INDEX", "BANKNIFTY"), ("BSE_INDEX", "SENSEX"),
                         ("NSE_INDEX", "NIFTYIT"), ("NFO", "NIFTY30DEC25FUT"), ("MCX", "LEADMINI29DEC17FUT"),
                         ("NFO", "NIFTY18JAN2526000CE"), ("CDS", "USDINR28JUN21FUT")}
    nifty = rows["NSE_INDEX", "NIFTY"]
    assert (nifty.brsymbol, nifty.brexchange, nifty.token, nifty.instrumenttype) == ("NIFTY 50", "NSE", "256265", "INDEX")
    future = rows["NFO", "NIFTY30DEC25FUT"]
    assert (future.record()["expiry"], future.lotsize, future.brsymbol) == ("30-DEC-25", 75, "NIFTY25DECFUT")
    assert rows["CDS", "USDINR28JUN21FUT"].tick_size == 0.0025


def test_a_file_that_is_not_the_instrument_dump_is_refused():
    with pytest.raises(ContractFormatError, match="instrument_token"):
        list_of("symbol,token\nSBIN,3045\n")
