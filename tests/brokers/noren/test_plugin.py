"""The Noren plugins (Shoonya and Flattrade, one core) against the fake Noren OMS: what they send, what
they make of the answers, and how they fail."""
from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest

from broker.contract import HistoryRequest, ModifyRequest, OrderRequest
from broker.errors import (AuthError, BrokerUnavailable, InsufficientFunds, InvalidOrder, NetworkError, OrderNotFound,
                           RateLimited, TokenExpired, UnknownSymbol)
from broker.noren import mapping
from tests.brokers.noren.conftest import presented
from tests.fakes.noren.server import API_SECRET, CLIENT_ID, OAUTH_CODE, REQUEST_CODE, USER_ID
from tests.fakes.fixtures import fixture_json
from utils import clock

pytestmark = pytest.mark.dates       # session ends, history windows and expiries follow the app's clock


def acc(names):
    return names.by_brsymbol("ACC-EQ", "NSE")


def test_shoonya_oauth_login_exchanges_the_code_with_the_documented_checksum(noren, shoonya):
    assert shoonya.manifest.auth_type == "oauth"
    assert shoonya.auth.login_url("s1") == f"{noren.url}/OAuthlogin/authorize/oauth?client_id={CLIENT_ID}"
    result = shoonya.auth.authenticate({"code": OAUTH_CODE})
    assert (result.auth_token, result.feed_token, result.broker_user_id) == \
        (noren.access_token, noren.session_token, USER_ID)
    assert result.expires_at is not None and result.expires_at > clock.now()
    assert not {"access_token", "refresh_token", "susertoken"} & set(result.raw)
    sent = noren.calls_to("GenAcsTok")[-1]
    assert sent.path == "/NorenWClientAPI/GenAcsTok" and sent.jkey is None and sent.bearer is None
    assert sent.jdata == {"code": OAUTH_CODE,
                          "checksum": hashlib.sha256(f"{CLIENT_ID}{API_SECRET}{OAUTH_CODE}".encode()).hexdigest()}
    assert API_SECRET not in sent.raw
    with pytest.raises(AuthError, match="INVALID_VERIFIER"):
        shoonya.auth.authenticate({"code": "a-stale-code"})
    with pytest.raises(AuthError, match="no code"):
        shoonya.auth.authenticate({})


def test_shoonya_calls_carry_the_access_token_as_a_bearer_header(noren, shoonya):
    from broker.contract import BrokerSession
    result = shoonya.auth.authenticate({"code": OAUTH_CODE})
    session = BrokerSession(user_id=1, broker="shoonya", auth_token=result.auth_token, feed_token=result.feed_token,
                            broker_user_id=result.broker_user_id)
    assert shoonya.funds.funds(session).available_cash > 0
    sent = noren.calls_to("Limits")[-1]
    assert sent.bearer == noren.access_token and sent.jkey is None and sent.raw == "jData=" + json.dumps(sent.jdata)
    noren.expire_token()
    with pytest.raises(TokenExpired):
        shoonya.funds.funds(session)


def test_flattrade_login_page_and_token_exchange(noren):
    from tests.brokers.noren.conftest import load_plugin
    flattrade = load_plugin(noren, "flattrade")
    assert flattrade.auth.login_url("s1").startswith(f"{noren.url}/auth/?app_key=")
    result = flattrade.auth.authenticate({"code": REQUEST_CODE, "client": USER_ID})
    assert (result.auth_token, result.broker_user_id) == (noren.session_token, USER_ID)
    with pytest.raises(AuthError, match="Invalid API key or secret"):
        flattrade.auth.authenticate({"code": "stale-code"})


def test_order_flow_and_the_fields_on_the_wire(noren, plugin, session, names):
    instrument = acc(names)
    ltp = plugin.data.quote(session, instrument).ltp
    ack = plugin.orders.place_order(session, OrderRequest(instrument=instrument, action="BUY", quantity=2,
                                                          product="CNC", pricetype="LIMIT", price=round(ltp - 5, 2),
                                                          tag="strat-1"))
    sent = noren.calls_to("PlaceOrder")[-1]
    assert presented(noren, sent) and sent.raw.startswith("jData={")
    assert {k: sent.jdata[k] for k in ("uid", "actid", "exch", "tsym", "qty", "prd", "trantype", "prctyp", "ret",
                                       "remarks")} == {
        "uid": USER_ID, "actid": USER_ID, "exch": "NSE", "tsym": "ACC-EQ", "qty": "2", "prd": "C", "trantype": "B",
        "prctyp": "LMT", "ret": "DAY", "remarks": "strat-1"}
    order = plugin.orders.order_status(session, ack.order_id)
    assert (order.symbol, order.status, order.product, order.pricetype) == ("ACC", "open", "CNC", "LIMIT")
    plugin.orders.modify_order(session, ModifyRequest(order_id=ack.order_id, instrument=instrument, action="BUY",
                                                      quantity=3, product="CNC", pricetype="SL", price=ltp - 4,
                                                      trigger_price=ltp - 4.5))
    assert noren.calls_to("ModifyOrder")[-1].jdata["prctyp"] == "SL-LMT"
    assert plugin.orders.order_status(session, ack.order_id).status == "trigger pending"
    plugin.orders.cancel_order(session, ack.order_id)
    assert plugin.orders.order_status(session, ack.order_id).status == "cancelled"
    with pytest.raises(OrderNotFound):
        plugin.orders.cancel_order(session, ack.order_id)
    with pytest.raises(OrderNotFound):
        plugin.orders.order_status(session, "1")


def test_market_order_reaches_trades_positions_and_funds(noren, plugin, session, names):
    instrument = names.by_brsymbol("SBIN-EQ", "NSE")
    plugin.orders.place_order(session, OrderRequest(instrument=instrument, action="SELL", quantity=4,
                                                    product="MIS", pricetype="MARKET"))
    assert noren.calls_to("PlaceOrder")[-1].jdata["prc"] == "0"
    trade = plugin.orders.trade_book(session)[0]
    assert (trade.symbol, trade.action, trade.quantity, trade.product) == ("SBIN", "SELL", 4, "MIS")
    position = plugin.orders.positions(session)[0]
    assert (position.symbol, position.quantity, position.product) == ("SBIN", -4, "MIS")
    funds = plugin.funds.funds(session)
    limits = fixture_json("noren", "limits.json")
    assert funds.available_cash == round(float(limits["cash"]) - float(limits["marginused"]), 2)
    holding = plugin.orders.holdings(session)[0]
    assert (holding.symbol, holding.exchange, holding.quantity) == ("ACC", "NSE", 10)


def test_empty_books_are_empty_lists(plugin, session):
    assert plugin.orders.trade_book(session) == [] and plugin.orders.positions(session) == []


def test_recorded_rows_map_field_by_field(names):
    row = fixture_json("noren", "orders.json")[3]        # NMDC-EQ SL-MKT, cancelled
    order = mapping.to_order(row, mapping.SymbolNames(None))
    assert (order.order_id, order.symbol, order.exchange, order.action, order.pricetype, order.status) == (
        "22061400270192", "NMDC-EQ", "NSE", "BUY", "SL-M", "cancelled")
    assert order.trigger_price == 118.0 and order.price == 0 and order.timestamp == "14-Jun-2022 14:54:36"
    trade = mapping.to_trade(fixture_json("noren", "trades.json")[0], mapping.SymbolNames(names))
    assert (trade.symbol, trade.quantity, trade.average_price, trade.trade_id) == ("BHEL-EQ", 1, 47.5, "3680799")
    position = mapping.to_position(fixture_json("noren", "positions.json")[0], mapping.SymbolNames(None))
    assert (position.quantity, position.realized_pnl, position.ltp) == (0, -0.25, 113.75)
    event = mapping.to_order_event(fixture_json("noren", "order_update.json"), mapping.SymbolNames(names))
    assert (event.symbol, event.status, event.product, event.filled_quantity) == ("ACC", "complete", "MIS", 1)


def test_quotes_depth_and_history(noren, plugin, session, names):
    quote = plugin.data.quote(session, acc(names))
    assert quote.bid < quote.ltp < quote.ask and quote.volume > 0
    depth = plugin.data.depth(session, acc(names))
    assert len(depth.bids) == len(depth.asks) == 5 and depth.bids[0].price > depth.bids[4].price
    today = clock.now().astimezone(mapping.IST).date()
    series = plugin.data.history(session, HistoryRequest(instrument=acc(names), interval="5m",
                                                         start=today - timedelta(days=40), end=today))
    stamps = [c.timestamp for c in series.candles]
    assert stamps == sorted(set(stamps)) and series.raw["windows"] == 2     # 41 days in two TPSeries calls
    assert [c.jdata["intrv"] for c in noren.calls_to("TPSeries")] == ["5", "5"]
    daily = plugin.data.history(session, HistoryRequest(instrument=acc(names), interval="D",
                                                        start=today - timedelta(days=10), end=today))
    assert daily.candles and all(c.timestamp % 86400 == 0 for c in daily.candles)
    assert noren.calls_to("EODChartData")[-1].jdata["sym"] == "NSE:ACC-EQ"
    with pytest.raises(UnknownSymbol):
        plugin.data.quote(session, acc(names).__class__(**{**_fields(acc(names)), "token": "999999"}))


def _fields(instrument):
    return {name: getattr(instrument, name) for name in instrument.__dataclass_fields__}


@pytest.mark.parametrize("emsg, error", [
    ("Session Expired :  Invalid Session Key", TokenExpired),
    ("RMS:Margin Exceeds,Required:1000.00, Available:10.00", InsufficientFunds),
    ("Invalid Input : Invalid Price", InvalidOrder),
    ("Rejected : ORA:Order not found", OrderNotFound),
])
def test_refusals_map_through_the_error_table(noren, plugin, session, emsg, error):
    noren.not_ok_next(emsg)
    with pytest.raises(error):
        plugin.orders.order_book(session)


def test_gateway_failures(noren, plugin, session):
    noren.fail_next(429, "Too many requests")
    with pytest.raises(RateLimited):
        plugin.orders.order_book(session)
    noren.fail_next(503)
    with pytest.raises(BrokerUnavailable):
        plugin.funds.funds(session)
    noren.malformed_next()
    with pytest.raises(BrokerUnavailable):
        plugin.funds.funds(session)
    noren.slow_next(1.0)
    with pytest.raises(NetworkError):
        plugin.funds.funds(session)
    noren.expire_token()
    with pytest.raises(TokenExpired):
        plugin.orders.positions(session)


def test_master_contract_rows(noren, plugin, session):
    rows = {(i.exchange, i.symbol): i for i in plugin.master_contract.download(session, lambda message: None)}
    assert rows[("NSE", "ACC")].brsymbol == "ACC-EQ" and rows[("NSE", "ACC")].token == "22"
    assert rows[("NSE_INDEX", "NIFTY")].token == "26000" and ("NSE_INDEX", "BANKNIFTY") in rows
    expiry = noren.expiry.strftime("%d%b%y").upper()
    future = rows[("NFO", f"NIFTY{expiry}FUT")]
    assert (future.lotsize, future.expiry, future.brsymbol) == (75, noren.expiry, f"NIFTY{expiry}F")
    option = rows[("NFO", f"NIFTY{expiry}23000CE")]
    assert (option.strike, option.instrumenttype, option.brsymbol) == (23000.0, "OPTIDX", f"NIFTY{expiry}C23000")
    assert option.tick_size == 0.05 and future.strike == 0


def test_flattrades_csv_layout_parses_into_unified_rows():
    from broker.noren.master_contract import read_rows, to_instrument
    from tests.fakes.fixtures import fixture_path
    text = fixture_path("noren", "flattrade_Nfo_Index_Derivatives.csv").read_text()
    rows = [r for r in (to_instrument(row) for row in read_rows(text)) if r is not None]
    assert [(r.symbol, r.brsymbol, r.token, r.lotsize, r.strike, r.tick_size) for r in rows] == [
        ("NIFTY30JAN25FUT", "NIFTY30JAN25F", "52175", 75, 0.0, 0.05),
        ("NIFTY30JAN2523000CE", "NIFTY30JAN25C23000", "52176", 75, 23000.0, 0.05),
        ("NIFTY30JAN2523000PE", "NIFTY30JAN25P23000", "52177", 75, 23000.0, 0.05),
        ("BANKNIFTY30JAN2548500PE", "BANKNIFTY30JAN25P48500", "52178", 30, 48500.0, 0.05)]
    assert {(r.exchange, r.instrumenttype) for r in rows} == {("NFO", "FUTIDX"), ("NFO", "OPTIDX")}


def test_flattrade_reads_its_eight_scrip_master_csvs(noren):
    from tests.brokers.noren.conftest import load_plugin
    flattrade = load_plugin(noren, "flattrade")
    files = [url.rsplit("/", 1)[-1] for url, zipped in flattrade.master_contract.files if not zipped]
    assert files == ["NSE_Equity.csv", "BSE_Equity.csv", "Nfo_Index_Derivatives.csv", "Nfo_Equity_Derivatives.csv",
                     "Bfo_Index_Derivatives.csv", "Bfo_Equity_Derivatives.csv", "Currency_Derivatives.csv",
                     "Commodity.csv"]
    rows = list(flattrade.master_contract.download(None, lambda message: None))
    assert {(i.exchange, i.instrumenttype) for i in rows} >= {("NSE", "EQ"), ("NFO", "FUTIDX"), ("NFO", "OPTIDX")}
