"""OpenAlgo symbol format for every instrument kind (API_CONTRACT.md §2.4)."""
from __future__ import annotations

from datetime import date

import pytest

from utils import symbols

DEC30 = date(2025, 12, 30)


@pytest.mark.parametrize("built, expected", [
    (symbols.future_symbol("NIFTY", DEC30), "NIFTY30DEC25FUT"),
    (symbols.future_symbol("crudeoil", date(2026, 1, 19)), "CRUDEOIL19JAN26FUT"),
    (symbols.future_symbol("USDINR", date(2025, 12, 29)), "USDINR29DEC25FUT"),
    (symbols.option_symbol("NIFTY", DEC30, 26000.0, "CE"), "NIFTY30DEC2526000CE"),
    (symbols.option_symbol("BANKNIFTY", DEC30, 59500, "pe"), "BANKNIFTY30DEC2559500PE"),
    (symbols.option_symbol("VEDL", DEC30, 292.5, "CE"), "VEDL30DEC25292.5CE"),
    (symbols.option_symbol("USDINR", DEC30, 84.25, "PE"), "USDINR30DEC2584.25PE"),
    (symbols.equity_symbol("TATASTEEL-EQ"), "TATASTEEL"),
    (symbols.equity_symbol("INFY"), "INFY"),
    (symbols.equity_symbol("M&M-BE"), "M&M"),
])
def test_symbols_are_built_in_openalgo_format(built: str, expected: str):
    assert built == expected


@pytest.mark.parametrize("symbol, base, strike, kind", [
    ("NIFTY30DEC2526000CE", "NIFTY", 26000.0, "CE"),
    ("VEDL30DEC25292.5CE", "VEDL", 292.5, "CE"),
    ("NIFTY30DEC25FUT", "NIFTY", None, None),
    ("M&M30DEC253000PE", "M&M", 3000.0, "PE"),
    ("NIFTYNXT5030DEC2570000CE", "NIFTYNXT50", 70000.0, "CE"),
])
def test_derivative_symbols_parse_back(symbol: str, base: str, strike, kind):
    parsed = symbols.parse_derivative(symbol)
    assert parsed is not None
    assert (parsed.base, parsed.expiry, parsed.strike, parsed.option_type) == (base, DEC30, strike, kind)
    assert str(parsed) == symbol


@pytest.mark.parametrize("symbol", ["SBIN", "NIFTY", "NIFTY31FEB25FUT", "NIFTY30XYZ25FUT", ""])
def test_non_derivatives_do_not_parse(symbol: str):
    assert symbols.parse_derivative(symbol) is None


def test_expiry_formats():
    assert symbols.expiry_token(date(2026, 1, 6)) == "06JAN26"
    assert symbols.parse_expiry_token("30dec25") == DEC30
    assert symbols.master_expiry(DEC30) == "30-DEC-25" and symbols.master_expiry(None) == ""
    assert symbols.parse_master_expiry("30-DEC-25") == DEC30
    with pytest.raises(ValueError, match="DDMMMYY"):
        symbols.parse_expiry_token("2025-12-30")
    with pytest.raises(ValueError, match="not a real date"):
        symbols.parse_expiry_token("31FEB26")


def test_embedded_expiry_in_underlying():
    assert symbols.split_embedded_expiry("NIFTY30DEC25FUT") == ("NIFTY", DEC30)
    assert symbols.split_embedded_expiry("nifty30dec25") == ("NIFTY", DEC30)
    assert symbols.split_embedded_expiry("NIFTY") == ("NIFTY", None)
