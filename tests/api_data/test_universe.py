"""What a script written for the reference finds on the paper broker (issue 23 item 4), through the openalgo
client: stocks beyond the NIFTY 50, BANKEX / SENSEX 50 / NIFTY NEXT 50 and their options, stock options,
USDINR on CDS and MCX options resolve in search, quote, and trade."""
from __future__ import annotations

import pytest

pytestmark = [pytest.mark.xdist_group("api_data"), pytest.mark.dates]   # one server for the package


@pytest.mark.parametrize("symbol, exchange", [("YESBANK", "NSE"), ("IRFC", "NSE"), ("NHPC", "NSE"), ("BHEL", "NSE"),
                                              ("BANKEX", "BSE_INDEX"), ("SENSEX50", "BSE_INDEX"),
                                              ("NIFTYNXT50", "NSE_INDEX")])
def test_symbols_a_new_user_tries_have_quotes_depth_and_history(client, symbol, exchange):
    quote = client.quotes(symbol=symbol, exchange=exchange)
    assert quote["status"] == "success" and quote["data"]["ltp"] > 0, quote
    depth = client.depth(symbol=symbol, exchange=exchange)
    assert depth["status"] == "success" and len(depth["data"]["bids"]) == 5
    bars = client.history(symbol=symbol, exchange=exchange, interval="D", start_date="2026-01-01",
                          end_date="2026-01-10")
    assert len(bars) == 10


@pytest.mark.parametrize("underlying, exchange, options_exchange", [
    ("BANKEX", "BSE_INDEX", "BFO"), ("SENSEX50", "BSE_INDEX", "BFO"), ("NIFTYNXT50", "NSE_INDEX", "NFO"),
    ("MIDCPNIFTY", "NSE_INDEX", "NFO"), ("RELIANCE", "NSE", "NFO"), ("USDINR", "CDS", "CDS"),
    ("CRUDEOIL", "MCX", "MCX")])
def test_option_chains_and_orders_on_the_new_underlyings(client, underlying, exchange, options_exchange):
    expiries = client.expiry(symbol=underlying, exchange=options_exchange, instrumenttype="options")
    assert expiries["status"] == "success" and expiries["data"], expiries
    expiry = expiries["data"][0].replace("-", "")
    if options_exchange in ("CDS", "MCX"):     # no spot there: the chain is priced from the nearest future
        futures = client.expiry(symbol=underlying, exchange=options_exchange, instrumenttype="futures")["data"]
        exchange = options_exchange
        underlying_symbol = f"{underlying}{futures[0].replace('-', '')}FUT" if underlying == "USDINR" else underlying
    else:
        underlying_symbol = underlying
    chain = client.optionchain(underlying=underlying_symbol, exchange=exchange, expiry_date=expiry, strike_count=2)
    assert chain["status"] == "success", chain
    atm = chain["chain"][2]["ce"]
    assert atm["label"] == "ATM" and atm["lotsize"] > 0 and chain["underlying_ltp"] > 0
    order = client.placeorder(strategy="universe", symbol=atm["symbol"], exchange=options_exchange, action="BUY",
                              price_type="MARKET", product="NRML", quantity=atm["lotsize"])
    assert order["status"] == "success", order
    status = client.orderstatus(order_id=order["orderid"], strategy="universe")
    assert status["data"]["order_status"] == "complete"


def test_search_finds_the_new_contracts(client):
    found = client.search(query="USDINR", exchange="CDS")
    assert found["status"] == "success" and any(row["symbol"].endswith("FUT") for row in found["data"])
    bankex = client.search(query="BANKEX CE", exchange="BFO")
    assert bankex["data"] and all(row["lotsize"] == 30 for row in bankex["data"])
    reliance = client.search(query="RELIANCE FUT", exchange="NFO")
    assert {row["lotsize"] for row in reliance["data"]} == {500}
