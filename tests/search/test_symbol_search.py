"""Instrument search (§7.2) and expiry lists (§7.3)."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

import pytest

from utils.errors import InvalidInput
from services.symbol_search import MAX_RESULTS, SymbolIndex, expiry_list, expiry_response, search_response


def record(symbol, exchange="NSE", brsymbol=None, name=None, token="1", strike=-1.0):
    return {"symbol": symbol, "brsymbol": brsymbol or symbol, "name": name or symbol, "exchange": exchange,
            "brexchange": exchange, "token": token, "expiry": "", "strike": strike, "lotsize": 1,
            "instrumenttype": "EQ", "tick_size": 0.05}


ROWS = [
    record("TATASTEEL", brsymbol="TATASTEEL-EQ", name="TATA STEEL LIMITED", token="3499"),
    record("TATASTEEL", "BSE", brsymbol="TATASTEEL", name="TATA STEEL LTD", token="500470"),
    record("TATASTEEL30DEC25FUT", "NFO", brsymbol="TATASTEEL25DECFUT", name="TATASTEEL", token="52011"),
    record("TATAMOTORS", name="TATA MOTORS LIMITED", token="3456"),
    record("TATA", name="TATA INVESTMENTS", token="777"),
    record("NIFTY", "NSE_INDEX", brsymbol="NIFTY 50", name="NIFTY 50", token="256265", strike=0.0),
    record("NIFTY30DEC2526000CE", "NFO", brsymbol="NIFTY25D3026000CE", name="NIFTY", token="48215", strike=26000.0),
    record("NIFTY30DEC2526000PE", "NFO", brsymbol="NIFTY25D3026000PE", name="NIFTY", token="48216", strike=26000.0),
    record("NIFTY30DEC2526050CE", "NFO", brsymbol="NIFTY25D3026050CE", name="NIFTY", token="48217", strike=26050.0),
    record("NIFTYNXT5030DEC2570000CE", "NFO", name="NIFTYNXT50", token="26000", strike=70000.0),
    record("M&M", name="MAHINDRA & MAHINDRA LTD", token="2031"),
]


@pytest.fixture(scope="module")
def index() -> SymbolIndex:
    return SymbolIndex(ROWS)


def symbols(results) -> list[str]:
    return [f"{r['exchange']}:{r['symbol']}" for r in results]


def test_ranked_exact_then_prefix_then_contains(index: SymbolIndex):
    found = symbols(index.search("tata"))
    assert found[0] == "NSE:TATA"                                   # exact
    assert set(found[1:4]) == {"NSE:TATASTEEL", "BSE:TATASTEEL", "NSE:TATAMOTORS"}   # prefix, shortest first
    assert found[4] == "NFO:TATASTEEL30DEC25FUT"
    steel = symbols(index.search("steel"))                          # contains only: name or symbol
    assert set(steel) == {"NSE:TATASTEEL", "BSE:TATASTEEL", "NFO:TATASTEEL30DEC25FUT"}


def test_every_term_must_match_and_numeric_term_matches_the_strike(index: SymbolIndex):
    assert symbols(index.search("NIFTY 26000 pe")) == ["NFO:NIFTY30DEC2526000PE"]
    assert set(symbols(index.search("nifty 26000"))) == {
        "NFO:NIFTY30DEC2526000CE", "NFO:NIFTY30DEC2526000PE",
        "NFO:NIFTYNXT5030DEC2570000CE"}                             # its token is 26000
    assert symbols(index.search("NIFTY 70000")) == ["NFO:NIFTYNXT5030DEC2570000CE"]   # strike only
    assert index.search("NIFTY 99999") == []


def test_matches_brsymbol_name_and_token(index: SymbolIndex):
    assert symbols(index.search("25D3026050")) == ["NFO:NIFTY30DEC2526050CE"]     # broker symbol
    assert symbols(index.search("mahindra")) == ["NSE:M&M"]                      # name
    assert symbols(index.search("500470")) == ["BSE:TATASTEEL"]                  # token
    assert symbols(index.search("m&m")) == ["NSE:M&M"]


def test_exchange_filter(index: SymbolIndex):
    assert symbols(index.search("TATASTEEL", "BSE")) == ["BSE:TATASTEEL"]
    assert symbols(index.search("nifty", "NSE_INDEX")) == ["NSE_INDEX:NIFTY"]
    assert index.search("TATA", "MCX") == []
    nfo_with_a = [r for r in ROWS if r["exchange"] == "NFO"
                  and "A" in "|".join((r["symbol"], r["brsymbol"], r["name"], r["token"])).upper()]
    assert len(index.search("a", "NFO")) == len(nfo_with_a)


def test_blank_and_one_character_queries(index: SymbolIndex):
    assert index.search("   ") == []
    assert symbols(index.search("&")) == ["NSE:M&M"]


def test_at_most_500_results_and_dataclass_records():
    @dataclass
    class Instrument:
        symbol: str
        brsymbol: str
        name: str
        exchange: str
        token: str
        strike: float

    rows = [Instrument(f"NIFTY30DEC25{20000 + 50 * i}CE", f"N{i}", "NIFTY", "NFO", str(i), 20000.0 + 50 * i)
            for i in range(800)]
    results = SymbolIndex(rows).search("nifty")
    assert len(results) == MAX_RESULTS and isinstance(results[0], Instrument)
    assert results[0].symbol == "NIFTY30DEC2520000CE"


def naive(rows, query, exchange=None):
    terms = query.upper().split()
    out = []
    for r in rows:
        hay = "|".join(str(r[f]) for f in ("symbol", "brsymbol", "name", "token")).upper()
        if exchange and r["exchange"] != exchange:
            continue
        if all(t in hay or (t.replace(".", "", 1).isdigit() and r["strike"] > 0 and float(t) == r["strike"])
               for t in terms):
            out.append(f"{r['exchange']}:{r['symbol']}")
    return set(out)


def test_agrees_with_a_brute_force_scan_on_random_queries():
    rng = random.Random(3)
    bases = ["NIFTY", "BANKNIFTY", "FINNIFTY", "RELIANCE", "INFY", "SBIN", "NIFTYNXT50"]
    rows, seen = [], set()
    for i in range(3000):
        base = rng.choice(bases)
        strike = rng.randrange(100, 30000, 50)
        kind, exchange = rng.choice(["CE", "PE"]), rng.choice(["NFO", "BFO"])
        if (base, strike, kind, exchange) not in seen:
            seen.add((base, strike, kind, exchange))
            rows.append(record(f"{base}30DEC25{strike}{kind}", exchange, f"{base}25D30{strike}{kind}",
                               f"{base} OPTION", str(10000 + i), float(strike)))
    index = SymbolIndex(rows)
    queries = ["nifty", "NIFTY 2500", "bank ce", "25D30", "RELIANCE 150 PE", "nxt", "C", "0", "10123", "OPTION PE",
               "infy 29950", "S", "XYZ", "30DEC25 ce nifty"]
    for query in queries:
        for exchange in (None, "BFO"):
            expected = naive(rows, query, exchange)
            got = symbols(index.search(query, exchange))
            assert len(got) == min(len(expected), MAX_RESULTS), (query, exchange)
            assert set(got) <= expected, (query, exchange)


def test_expiry_list_only_exact_base_sorted_future_dates():
    symbols_ = ["NIFTY30DEC2526000CE", "NIFTY06JAN2626000PE", "NIFTY30DEC2526050CE", "NIFTY23DEC2526000CE",
                "NIFTYNXT5030DEC2570000CE", "NIFTYNXT5027JAN26FUT", "NIFTY27JAN26FUT", "NIFTY30DEC25FUT",
                "BANKNIFTY30DEC2559500PE", "NIFTY", "garbage"]
    today = date(2025, 12, 24)
    assert expiry_list(symbols_, "NIFTY", "options", today) == ["30-DEC-25", "06-JAN-26"]
    assert expiry_list(symbols_, "nifty", "futures", today) == ["30-DEC-25", "27-JAN-26"]
    assert expiry_list(symbols_, "NIFTY", "options", date(2025, 12, 30)) == ["30-DEC-25", "06-JAN-26"]  # today kept
    assert expiry_list(symbols_, "NIFTYNXT50", "futures", today) == ["27-JAN-26"]
    assert expiry_list(symbols_, "CRUDEOIL", "futures", today) == []
    with pytest.raises(ValueError, match="futures or options"):
        expiry_list(symbols_, "NIFTY", "Futures", today)


def test_empty_index_answers_nothing():
    empty = SymbolIndex([])
    assert len(empty) == 0 and empty.search("NIFTY") == [] and empty.search("N", "NFO") == []


def test_search_response_shapes_and_errors(index: SymbolIndex):
    body = search_response(index, "TATASTEEL", "BSE")
    assert body == {"status": "success", "message": "Found 1 matching symbols", "data": [ROWS[1]]}
    assert search_response(index, "XYZ") == {"status": "success", "message": "No matching symbols found", "data": []}
    for query, exchange, field in (("  ", None, "query"), (None, None, "query"), ("TATA", "NASDAQ", "exchange")):
        with pytest.raises(InvalidInput) as info:
            search_response(index, query, exchange)
        assert info.value.field == field and isinstance(info.value, InvalidInput)
    with pytest.raises(InvalidInput, match="Query parameter is required and cannot be empty"):
        search_response(index, "")


def test_expiry_response_shapes_and_errors():
    body = expiry_response(["NIFTY30DEC2526000CE", "NIFTY06JAN2626000CE"], "NIFTY", "NFO", "options",
                           date(2025, 12, 24))
    assert body == {"status": "success", "message": "Found 2 expiry dates for NIFTY options in NFO",
                    "data": ["30-DEC-25", "06-JAN-26"]}
    assert expiry_response([], "NIFTY", "NFO", "futures", date(2025, 12, 24))["data"] == []
    for args, field in ((("NIFTY", "NSE", "options"), "exchange"), (("NIFTY", "NFO", "Options"), "instrumenttype"),
                        (("", "NFO", "options"), "symbol")):
        with pytest.raises(InvalidInput) as info:
            expiry_response([], *args, date(2025, 12, 24))
        assert info.value.field == field
