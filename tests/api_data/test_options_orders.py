"""optionsorder and optionsmultiorder through the openalgo client (API_CONTRACT.md §8.2, §8.3)."""
from __future__ import annotations

import pytest


pytestmark = [pytest.mark.xdist_group("api_data"), pytest.mark.dates]  # one server for the package, on one worker


@pytest.fixture(scope="module")
def expiry(client) -> str:
    return client.expiry(symbol="NIFTY", exchange="NFO", instrumenttype="options")["data"][1].replace("-", "")


def _lot(client, expiry: str) -> int:
    return client.optionsymbol(underlying="NIFTY", exchange="NSE_INDEX", expiry_date=expiry, offset="ATM",
                               option_type="CE")["lotsize"]


def test_optionsorder_places_the_resolved_option(client, expiry):
    lot = _lot(client, expiry)
    wanted = client.optionsymbol(underlying="NIFTY", exchange="NSE_INDEX", expiry_date=expiry, offset="OTM1",
                                 option_type="CE")["symbol"]
    reply = client.optionsorder(strategy="opt", underlying="NIFTY", exchange="NSE_INDEX", expiry_date=expiry,
                                offset="otm1", option_type="CE", action="BUY", quantity=lot, product="NRML")
    assert reply["status"] == "success" and reply["symbol"] == wanted and reply["exchange"] == "NFO"
    assert reply["offset"] == "OTM1" and reply["underlying"] == "NIFTY" and reply["underlying_ltp"] > 0
    book = client.orderbook()["data"]["orders"]
    assert any(o["orderid"] == reply["orderid"] and o["symbol"] == wanted for o in book)


def test_optionsorder_with_splitsize_and_refused_cnc(client, expiry):
    lot = _lot(client, expiry)
    split = client.optionsorder(strategy="opt", underlying="NIFTY", exchange="NSE_INDEX", expiry_date=expiry,
                                offset="ATM", option_type="PE", action="BUY", quantity=2 * lot, splitsize=lot)
    assert split["total_quantity"] == 2 * lot and len(split["results"]) == 2
    cnc = client.optionsorder(strategy="opt", underlying="NIFTY", exchange="NSE_INDEX", expiry_date=expiry,
                              offset="ATM", option_type="PE", action="BUY", quantity=lot, product="CNC")
    assert cnc["code"] == 400 and "product" in cnc["message"]


def test_optionsmultiorder_buys_first_and_reports_every_leg(client, expiry):
    lot = _lot(client, expiry)
    reply = client.optionsmultiorder(strategy="spread", underlying="NIFTY", exchange="NSE_INDEX", expiry_date=expiry,
                                     legs=[{"offset": "OTM2", "option_type": "CE", "action": "SELL", "quantity": lot},
                                           {"offset": "OTM4", "option_type": "CE", "action": "BUY", "quantity": lot},
                                           {"offset": "OTM50", "option_type": "CE", "action": "BUY", "quantity": lot}])
    legs = reply["results"]
    assert reply["status"] == "success" and [leg["leg"] for leg in legs] == [1, 2, 3]
    assert legs[0]["status"] == legs[1]["status"] == "success" and legs[0]["mode"] == "live"
    assert legs[2]["status"] == "error" and "out of range" in legs[2]["message"]
    ids = [o["orderid"] for o in client.orderbook()["data"]["orders"]]     # in placement order
    assert ids.index(legs[1]["orderid"]) < ids.index(legs[0]["orderid"])
