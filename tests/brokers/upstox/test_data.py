"""Market data, history, funds, margin and the master contract through the fake Upstox."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from broker.contract import HistoryRequest, MarginLeg
from broker.errors import NotSupported, UnknownSymbol
from broker.upstox.history import windows
from tests.brokers.upstox.conftest import NIFTY, NIFTY_CE, RELIANCE, SBIN
from tests.fakes.upstox.feed import base_price


def test_quote_and_depth(upstox, plugin, session):
    quote = plugin.data.quote(session, RELIANCE)
    price = base_price(RELIANCE.token)
    assert (quote.symbol, quote.exchange, quote.ltp, quote.bid, quote.ask) == ("RELIANCE", "NSE", price,
                                                                              round(price - 0.05, 2),
                                                                              round(price + 0.05, 2))
    assert quote.prev_close == round(price - 22.05, 2)           # last_price - net_change
    assert quote.volume == 2715045 and quote.timestamp is not None
    depth = plugin.data.depth(session, RELIANCE)
    assert len(depth.bids) == len(depth.asks) == 5 and depth.bids[0].orders == 4
    assert depth.total_buy_qty == 334012
    [sent] = upstox.requests_to("/v2/market-quote/quotes")[:1]
    assert sent.args == {"instrument_key": ["NSE_EQ|INE002A01018"]}


def test_batch_quotes_split_at_500_and_keep_the_callers_order(upstox, plugin, session):
    instruments = [SBIN, RELIANCE, NIFTY] * 200              # 600 → two calls (duplicates sent once)
    quotes = plugin.data.quotes(session, instruments)
    assert [q.symbol for q in quotes[:3]] == ["SBIN", "RELIANCE", "NIFTY"] and len(quotes) == 600
    assert len(upstox.requests_to("/v2/market-quote/quotes")) == 1
    with pytest.raises(UnknownSymbol):
        plugin.data.quote(session, SBIN.__class__(symbol="X", brsymbol="X", name="X", exchange="NSE",
                                                  brexchange="NSE_EQ", token="NSE_EQ|NOPE"))


def test_windows_respect_the_documented_ranges():
    start, end = date(2025, 1, 1), date(2025, 12, 31)
    assert len(windows("minutes", 1, start, end)) == 14          # 28 days each (the shortest month)
    assert len(windows("minutes", 30, start, end)) == 5          # 89 days each (the shortest quarter)
    assert windows("weeks", 1, date(2001, 1, 1), end) == [(date(2001, 1, 1), end)]
    for first, last in windows("minutes", 5, start, end):
        assert last - first <= timedelta(days=31)


def test_history_is_chunked_and_stitched_ascending(upstox, plugin, session):
    request = HistoryRequest(instrument=SBIN, interval="15m", start=date(2025, 1, 1), end=date(2025, 3, 31))
    series = plugin.data.history(session, request)
    calls = [r.path for r in upstox.requests_to("/v3/historical-candle/")]
    assert len(calls) == 4 and all("/minutes/15/" in c for c in calls)
    stamps = [c.timestamp for c in series.candles]
    assert stamps == sorted(set(stamps)) and len(stamps) > 1000
    assert series.raw == {"requests": 4}


def test_daily_candles_are_stamped_at_midnight_utc(upstox, plugin, session):
    series = plugin.data.history(session, HistoryRequest(instrument=SBIN, interval="D", start=date(2025, 1, 6),
                                                         end=date(2025, 1, 10)))
    assert len(series.candles) == 5 and all(c.timestamp % 86400 == 0 for c in series.candles)


def test_today_comes_from_the_intraday_endpoint(upstox, plugin, session):
    today = date(2025, 12, 30)                   # the plugin's trading day (IST), fixed for the test
    plugin.data.today = lambda: today
    plugin.data.history(session, HistoryRequest(instrument=SBIN, interval="5m", start=today - timedelta(days=3),
                                                end=today))
    assert upstox.requests_to("/v3/historical-candle/intraday/NSE_EQ|INE062A01020/minutes/5")
    assert upstox.requests_to("/v3/historical-candle/NSE_EQ|INE062A01020/minutes/5/2025-12-29/2025-12-27")
    plugin.data.history(session, HistoryRequest(instrument=SBIN, interval="D", start=today - timedelta(days=9),
                                                end=today - timedelta(days=1)))
    assert len(upstox.requests_to("/v3/historical-candle/intraday/")) == 1      # a past range needs no intraday


def test_an_interval_upstox_lacks_is_not_supported(plugin, session):
    with pytest.raises(NotSupported):
        plugin.data.history(session, HistoryRequest(instrument=SBIN, interval="1s", start=date(2025, 1, 1),
                                                    end=date(2025, 1, 1)))


def test_funds_sum_the_segments_and_take_m2m_from_positions(plugin, session):
    funds = plugin.funds.funds(session)
    assert (funds.available_cash, funds.utilised_debits, funds.m2m_unrealized) == (18716.8, 1283.2, -12.5)


def test_basket_margin(upstox, plugin, session):
    margin = plugin.funds.margin(session, [MarginLeg(instrument=NIFTY_CE, action="SELL", quantity=25, product="NRML",
                                                     pricetype="LIMIT", price=120.5)])
    assert margin.total_margin_required == 14712.36 and margin.span_margin == 11125.05
    [sent] = upstox.requests_to("/v2/charges/margin")
    assert sent.json == {"instruments": [{"instrument_key": "NSE_FO|54524", "quantity": 25, "transaction_type": "SELL",
                                          "product": "D", "price": 120.5}]}


def test_master_contract_download(upstox, plugin):
    steps = []
    rows = list(plugin.master_contract.download(None, steps.append))
    assert {(r.exchange, r.symbol) for r in rows} >= {("NSE", "SBIN"), ("NSE_INDEX", "NIFTY"),
                                                      ("NFO", "NIFTY26DEC2424000CE"), ("CDS", "USDINR27DEC24FUT")}
    assert steps[-1] == f"{len(rows)} instruments read"
    assert "Authorization" not in upstox.requests_to("/market-quote/instruments")[0].headers
