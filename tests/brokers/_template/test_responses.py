"""The broker's recorded answers (tests/fixtures/_template) become the unified objects, field by field;
no server needed: mapping.py, data.py and master_contract.py are pure over a payload."""
from __future__ import annotations

from broker._template import mapping
from broker._template.data import to_depth, to_quote
from broker._template.master_contract import to_instrument
from tests.fakes.fixtures import fixture_json

NAMES = mapping.SymbolNames(None)   # without a master contract the broker's symbol is kept


def recorded(name: str):  # noqa: ANN201
    return fixture_json("_template", name)["data"]


def test_instrument_rows_become_unified_master_contract_rows():
    rows = [to_instrument(row) for row in recorded("instruments.json")]
    by_token = {i.token: i for i in rows if i is not None}
    assert [(i.symbol, i.exchange, i.brsymbol) for i in by_token.values()] == [
        ("SBIN", "NSE", "SBIN-EQ"), ("INFY", "NSE", "INFY-EQ"), ("SBIN", "BSE", "SBIN"), ("NIFTY50", "NSE_INDEX", "NIFTY 50")]
    assert "7001" not in by_token   # a segment (MCX) the plugin does not offer is left out


def test_a_future_row_is_named_the_openalgo_way():
    from datetime import date, timedelta

    expiry = date.today() + timedelta(days=30)   # any expiry: the name follows it
    row = {"token": "5", "symbol": "NIFTYFUT", "name": "NIFTY", "exchange": "NFO", "instrument_type": "FUT",
           "expiry": expiry.isoformat(), "lot_size": 75}
    instrument = to_instrument(row)
    assert instrument.symbol == f"NIFTY{expiry.strftime('%d%b%y').upper()}FUT" and instrument.lotsize == 75


def test_order_rows_map_every_status_product_and_price_type():
    orders = [mapping.to_order(row, NAMES) for row in recorded("orders.json")]
    assert [(o.status, o.product, o.pricetype) for o in orders] == [
        ("open", "MIS", "LIMIT"), ("complete", "CNC", "MARKET"), ("rejected", "MIS", "SL-M")]
    assert orders[1].filled_quantity == 5 and orders[1].average_price == 1601.3
    assert orders[2].rejection_reason == "Insufficient funds" and orders[0].raw["order_id"] == "TB100001"


def test_quote_depth_positions_and_funds():
    from broker.contract import Instrument

    sbin = Instrument(symbol="SBIN", brsymbol="SBIN-EQ", name="", exchange="NSE", brexchange="NSE", token="1001")
    quote = to_quote(sbin, recorded("quotes.json")["1001"])
    assert (quote.ltp, quote.prev_close, quote.bid, quote.ask, quote.volume) == (812.4, 806.75, 812.35, 812.45, 10234567)
    depth = to_depth(sbin, recorded("depth.json"))
    assert depth.bids[0].price == 812.35 and depth.asks[0].price == 812.45 and len(depth.bids) == 5
    assert depth.total_buy_qty == 7150
    [position] = [mapping.to_position(row, NAMES) for row in recorded("positions.json")]
    assert (position.quantity, position.product, position.pnl) == (-20, "MIS", -46.0)
