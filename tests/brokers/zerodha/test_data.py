"""Quotes, depth, history and funds through the fake Kite server."""
from __future__ import annotations

from datetime import date

import pytest

from broker.contract import HistoryRequest, Instrument, MarginLeg
from broker.errors import NotSupported, UnknownSymbol
from tests.brokers.zerodha.conftest import INFY, NIFTY_FUT, SBIN

NIFTY_INDEX = Instrument(symbol="NIFTY", brsymbol="NIFTY 50", name="NIFTY 50", exchange="NSE_INDEX",
                         brexchange="NSE", token="256265", instrumenttype="INDEX")


def test_quote_from_the_recorded_full_quote(kite, plugin, session):
    quote = plugin.data.quote(session, INFY)
    assert (quote.symbol, quote.exchange, quote.ltp, quote.open, quote.high, quote.low, quote.prev_close) == (
        "INFY", "NSE", 1412.95, 1396, 1421.75, 1395.55, 1389.65)
    assert (quote.volume, quote.bid, quote.ask, quote.ask_qty) == (7360198, 0, 1412.95, 5191)
    assert quote.timestamp.isoformat() == "2021-06-08T15:45:56+05:30"
    [sent] = kite.requests_to("/quote")
    assert sent.args == {"i": ["NSE:INFY"]}


def test_batch_quotes_are_one_call_keyed_by_exchange_and_symbol(kite, plugin, session):
    quotes = plugin.data.quotes(session, [INFY, SBIN, NIFTY_INDEX])
    assert [q.symbol for q in quotes] == ["INFY", "SBIN", "NIFTY"] and quotes[2].exchange == "NSE_INDEX"
    [sent] = kite.requests_to("/quote")
    assert sent.args == {"i": ["NSE:INFY", "NSE:SBIN", "NSE:NIFTY 50"]}
    assert plugin.capabilities.max_batch_quotes == 500


def test_an_instrument_kite_does_not_know_is_an_unknown_symbol(plugin, session):
    ghost = Instrument(symbol="UNKNOWN", brsymbol="UNKNOWN", name="", exchange="NSE", brexchange="NSE", token="1")
    with pytest.raises(UnknownSymbol, match="UNKNOWN"):
        plugin.data.quote(session, ghost)


def test_depth_has_five_levels_each_side(plugin, session):
    depth = plugin.data.depth(session, INFY)
    assert len(depth.bids) == len(depth.asks) == 5
    assert (depth.asks[0].price, depth.asks[0].quantity, depth.asks[0].orders) == (1412.95, 5191, 13)
    assert depth.total_sell_qty == 5191 and depth.ltq == 5


def test_history_recorded_minute_candles(kite, plugin, session):
    series = plugin.data.history(session, HistoryRequest(instrument=INFY, interval="1m",
                                                         start=date(2017, 12, 15), end=date(2017, 12, 15)))
    assert len(series.candles) == 6 and series.candles[0].timestamp == 1513309500
    [sent] = kite.requests_to("/instruments/historical/")
    assert sent.path == "/instruments/historical/408065/minute"
    assert sent.args == {"from": ["2017-12-15 00:00:00"], "to": ["2017-12-15 23:59:59"]}


def test_a_long_range_is_chunked_within_kite_limits_and_stitched(kite, plugin, session):
    series = plugin.data.history(session, HistoryRequest(instrument=SBIN, interval="5m",
                                                         start=date(2025, 1, 1), end=date(2025, 12, 31)))
    assert len(kite.requests_to("/instruments/historical/")) == 4      # 365 days in windows of 100
    stamps = [c.timestamp for c in series.candles]
    assert stamps == sorted(set(stamps)) and len(stamps) == 261         # every weekday of 2025, once


def test_derivative_history_asks_for_open_interest(kite, plugin, session):
    series = plugin.data.history(session, HistoryRequest(instrument=NIFTY_FUT, interval="1m",
                                                         start=date(2019, 12, 4), end=date(2019, 12, 4)))
    assert kite.requests_to("/instruments/historical/")[0].args["oi"] == ["1"]
    assert series.candles[0].oi == 13667775


def test_daily_history_and_unsupported_intervals(plugin, session):
    series = plugin.data.history(session, HistoryRequest(instrument=SBIN, interval="D",
                                                         start=date(2025, 12, 29), end=date(2025, 12, 30)))
    assert [c.timestamp for c in series.candles] == [1766966400, 1767052800]   # 00:00 UTC of each date
    with pytest.raises(NotSupported, match="2m"):
        plugin.data.history(session, HistoryRequest(instrument=SBIN, interval="2m",
                                                    start=date(2025, 12, 29), end=date(2025, 12, 30)))


def test_funds_sum_the_enabled_margin_segments(plugin, session):
    funds = plugin.funds.funds(session)
    assert funds.available_cash == round(99725.05 + 100661.7, 2)
    assert (funds.collateral, funds.m2m_realized, funds.m2m_unrealized, funds.utilised_debits) == (
        0.0, 761.7, 0.0, 145706.55)


def test_basket_margin_posts_json_legs_and_reads_the_final_block(kite, plugin, session):
    legs = [MarginLeg(instrument=NIFTY_FUT, action="SELL", quantity=75, product="NRML", pricetype="MARKET"),
            MarginLeg(instrument=INFY, action="BUY", quantity=1, product="CNC", pricetype="LIMIT", price=1500)]
    margin = plugin.funds.margin(session, legs)
    assert (margin.total_margin_required, margin.span_margin, margin.exposure_margin) == (34786.73, 7788.0, 29151.23)
    [sent] = kite.requests_to("/margins/basket")
    assert sent.args == {"consider_positions": ["true"]}
    assert sent.json[0] == {"exchange": "NFO", "tradingsymbol": "NIFTY25DECFUT", "transaction_type": "SELL",
                            "variety": "regular", "product": "NRML", "order_type": "MARKET", "quantity": 75,
                            "price": 0.0, "trigger_price": 0.0}
