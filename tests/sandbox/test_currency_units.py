"""Issue 23: currency derivatives counted in contracts on the sandbox over a live market. Zerodha (here
through the fake Kite server) lists USDINR with lot size 1, so `quantity=1` is one contract of USD 1,000
and every rupee the sandbox shows counts the 1,000 dollars: a ₹0.01 move of the rate is ₹10. A broker
that lists the contract with lot 1,000 (Upstox counts dollars) gives the same rupees for quantity 1,000.
The multiplier comes from the master-contract row, so a recorded file of each broker gives it too.
MCX likewise on Zerodha, which declares it counts MCX in contracts (lot 1: quantity 1 of CRUDEOIL is
100 barrels); brokers counting the quoted units (Angel One, Dhan, Upstox: CRUDEOIL lot 100) keep 1."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest

from broker.angel import CAPABILITIES as ANGEL_CAPABILITIES
from broker.angel.master_contract import parse_scrip_master as angel_rows
from broker.dhan import CAPABILITIES as DHAN_CAPABILITIES
from broker.dhan.master_contract import parse_scrip_master as dhan_rows
from broker.paper.margins import DEFAULT_RATES
from broker.paper.source import contract_multiplier
from broker.zerodha import CAPABILITIES as ZERODHA_CAPABILITIES
from broker.upstox import CAPABILITIES as UPSTOX_CAPABILITIES
from broker.upstox.instruments import parse_instruments as upstox_rows
from tests.api.conftest import Account
from tests.fakes.fixtures import FIXTURES
from tests.fakes.kite_server import KiteServer
from tests.sandbox.support import kite_price_moves, list_kite_future, order_calls, position_of


def _list_usdinr_future(trader: Account, kite: KiteServer, lot_size: int) -> tuple[str, str]:
    """A USDINR future in the Kite dump with `lot_size`, the contract downloaded again; (symbol, Kite key)."""
    return list_kite_future(trader, kite, "USDINR", "CDS", lot_size)


@pytest.mark.parametrize(("lot_size", "quantity"), [(1, 1), (1000, 1000)])
def test_one_usdinr_contract_counts_a_thousand_dollars(trader: Account, kite: KiteServer, lot_size: int,
                                                       quantity: int):
    symbol, key = _list_usdinr_future(trader, kite, lot_size)
    kite.set_quote(key, last_price=88.5, bid=88.4975, ask=88.5025)
    cash_before = float(trader.post("funds").json["data"]["availablecash"])

    placed = trader.post("placeorder", strategy="t", symbol=symbol, exchange="CDS", action="BUY",
                         pricetype="MARKET", product="NRML", quantity=str(quantity))
    assert placed.status_code == 200 and placed.json["mode"] == "analyze", placed.json
    status = trader.post("orderstatus", orderid=placed.json["orderid"], strategy="t").json["data"]
    assert status["order_status"] == "complete"       # at the ask, 88.5025 (shown to 2 decimals)

    kite_price_moves(kite, key, last_price=88.5125, bid=88.51, ask=88.515)      # the rate rose a paisa
    position = position_of(trader, symbol)
    assert int(position["quantity"]) == quantity
    funds = trader.post("funds").json["data"]
    assert float(funds["m2munrealized"]) == pytest.approx(10.0)         # one contract: ₹10 per paisa
    margin = 1000 * 88.5025 * DEFAULT_RATES.currency                    # 3 % of USD 1,000 at the rate
    assert float(funds["utiliseddebits"]) == pytest.approx(margin, abs=0.01)
    assert cash_before - float(funds["availablecash"]) == pytest.approx(margin, abs=0.01)

    sold = trader.post("placeorder", strategy="t", symbol=symbol, exchange="CDS", action="SELL",
                       pricetype="MARKET", product="NRML", quantity=str(quantity))
    assert sold.status_code == 200, sold.json
    funds = trader.post("funds").json["data"]
    assert float(funds["m2mrealized"]) == pytest.approx(1000 * (88.51 - 88.5025))   # sold at the bid: ₹7.50
    assert float(funds["availablecash"]) - cash_before == pytest.approx(7.5)
    rows = {row["symbol"]: row for row in trader.post("pnl/symbols").json["data"]}
    assert rows[symbol]["today_realized_pnl"] == pytest.approx(7.5)
    assert order_calls(kite) == []


def test_one_crudeoil_contract_on_zerodha_counts_a_hundred_barrels(trader: Account, kite: KiteServer):
    """Kite lists MCX futures with lot_size 1 and counts them in contracts: quantity 1 is 100 barrels."""
    symbol, key = list_kite_future(trader, kite, "CRUDEOIL", "MCX", 1)
    kite.set_quote(key, last_price=5400.0, bid=5399.0, ask=5401.0)
    cash_before = float(trader.post("funds").json["data"]["availablecash"])

    placed = trader.post("placeorder", strategy="t", symbol=symbol, exchange="MCX", action="BUY",
                         pricetype="MARKET", product="NRML", quantity="1")
    assert placed.status_code == 200 and placed.json["mode"] == "analyze", placed.json
    assert trader.post("orderstatus", orderid=placed.json["orderid"], strategy="t").json["data"]["order_status"] \
        == "complete"                                                   # at the ask, 5401

    kite_price_moves(kite, key, last_price=5402.0, bid=5402.0, ask=5403.0)     # ₹1 above the fill
    position = position_of(trader, symbol)
    assert int(position["quantity"]) == 1
    funds = trader.post("funds").json["data"]
    assert float(funds["m2munrealized"]) == pytest.approx(100.0)        # ₹1 a barrel on 100 barrels
    margin = 100 * 5401.0 * DEFAULT_RATES.commodity                     # 10 % of 100 barrels at the fill
    assert float(funds["utiliseddebits"]) == pytest.approx(margin, abs=0.01)
    assert cash_before - float(funds["availablecash"]) == pytest.approx(margin, abs=0.01)

    sold = trader.post("placeorder", strategy="t", symbol=symbol, exchange="MCX", action="SELL",
                       pricetype="MARKET", product="NRML", quantity="1")
    assert sold.status_code == 200, sold.json
    funds = trader.post("funds").json["data"]
    assert float(funds["m2mrealized"]) == pytest.approx(100.0)          # sold at the bid, ₹1 above: ₹100
    assert float(funds["availablecash"]) - cash_before == pytest.approx(100.0)
    assert order_calls(kite) == []


def test_a_quantity_of_one_on_a_dollar_counting_contract_is_refused(trader: Account, kite: KiteServer):
    symbol, key = _list_usdinr_future(trader, kite, 1000)
    kite.set_quote(key, last_price=88.5, bid=88.4975, ask=88.5025)
    placed = trader.post("placeorder", strategy="t", symbol=symbol, exchange="CDS", action="BUY",
                         pricetype="MARKET", product="NRML", quantity="1")
    assert placed.status_code == 400 and "lot size 1000" in placed.json["message"], placed.json


def _recorded() -> dict[str, list]:
    return {"angel": list(angel_rows(json.loads((FIXTURES / "angel" / "scrip_master.json").read_text()))),
            "dhan": list(dhan_rows((FIXTURES / "dhan" / "scrip_master.csv").read_text())),
            "upstox": list(upstox_rows(json.loads((FIXTURES / "upstox" / "instruments_complete.json").read_text())))}


def test_recorded_master_contracts_give_the_contract_multiplier():
    """Angel One and Dhan count USDINR in contracts (lot 1: multiplier 1,000), Upstox in dollars (lot
    1,000: 1); their MCX rows count the units the price is quoted in (CRUDEOIL: lot 100 barrels)."""
    rows = _recorded()
    usdinr = {broker: [row for row in found if row.exchange in ("CDS", "BCD") and row.symbol.startswith("USDINR")]
              for broker, found in rows.items()}
    assert all(usdinr.values())
    assert {(row.lotsize, contract_multiplier(row)) for row in usdinr["angel"] + usdinr["dhan"]} == {(1, 1000.0)}
    assert {(row.lotsize, contract_multiplier(row)) for row in usdinr["upstox"]} == {(1000, 1.0)}
    crude = [row for found in rows.values() for row in found if row.exchange == "MCX" and row.name == "CRUDEOIL"]
    assert crude and {(row.lotsize, contract_multiplier(row)) for row in crude} == {(100, 1.0)}


def test_only_a_broker_declaring_mcx_contracts_scales_its_mcx_rows():
    """Angel One, Dhan and Upstox declare MCX quantities in units: their MCX rows (CRUDEOIL lot 100,
    GOLDM 10) keep multiplier 1; the same rows read as a contract-counting broker's would be scaled."""
    declared = {"angel": ANGEL_CAPABILITIES, "dhan": DHAN_CAPABILITIES, "upstox": UPSTOX_CAPABILITIES}
    assert ZERODHA_CAPABILITIES.mcx_quantity == "contracts"
    for broker, found in _recorded().items():
        mcx = [row for row in found if row.exchange == "MCX"]
        contracts = declared[broker].mcx_quantity == "contracts"
        assert mcx and not contracts, broker
        assert {contract_multiplier(row, contracts) for row in mcx} == {1.0}, broker
    crude = next(row for row in _recorded()["angel"] if row.exchange == "MCX" and row.name == "CRUDEOIL")
    assert contract_multiplier(crude, mcx_contracts=True) == 1.0        # lot 100 of 100 barrels: units
    assert contract_multiplier(replace(crude, lotsize=1), mcx_contracts=True) == 100.0
