"""Quotes, depth, history, funds and margins through the plugin against the fake Dhan server."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from broker.contract import HistoryRequest, MarginLeg
from broker.errors import NotSupported, UnknownSymbol
from broker.dhan.mapping import IST


def test_quote_and_depth(plugin, session, dhan, instruments):
    hdfc = instruments[("NSE", "HDFCBANK")]
    quote = plugin.data.quote(session, hdfc)
    assert dhan.requests_to("/v2/marketfeed/quote")[-1].json == {"NSE_EQ": [1333]}
    assert quote.ltp == dhan.ltp and quote.bid < quote.ltp < quote.ask
    assert (quote.prev_close, quote.high, quote.low) == (dhan.ltp - 2, dhan.ltp + 3, dhan.ltp - 4)
    depth = plugin.data.depth(session, hdfc)
    assert len(depth.bids) == len(depth.asks) == 5
    assert [b.price for b in depth.bids] == sorted((b.price for b in depth.bids), reverse=True)
    assert depth.total_buy_qty == 1825 and depth.oi == 2325


def test_batch_quotes_are_one_request_in_the_callers_order(plugin, session, dhan, instruments):
    wanted = [instruments[("NFO", "NIFTY26DEC2424000CE")], instruments[("NSE", "TCS")],
              instruments[("MCX", "CRUDEOIL18DEC24FUT")]]
    quotes = plugin.data.quotes(session, wanted)
    assert [(q.symbol, q.exchange) for q in quotes] == [(i.symbol, i.exchange) for i in wanted]
    assert [r.json for r in dhan.requests_to("/v2/marketfeed/quote")] == [
        {"NSE_FNO": [43120], "NSE_EQ": [11536], "MCX_COMM": [433353]}]


def test_unknown_instrument_is_unknown_symbol(plugin, session, instruments):
    ghost = replace(instruments[("NSE", "TCS")], token="424242", symbol="GHOST")
    with pytest.raises(UnknownSymbol, match="GHOST"):
        plugin.data.quote(session, ghost)


def test_daily_history_is_one_request_with_an_exclusive_end(plugin, session, dhan, instruments):
    end = datetime.now(IST).date() - timedelta(days=1)
    start = end - timedelta(days=20)
    series = plugin.data.history(session, HistoryRequest(instrument=instruments[("NSE", "HDFCBANK")], interval="D",
                                                          start=start, end=end))
    sent = dhan.requests_to("/v2/charts/historical")[-1].json
    assert (sent["fromDate"], sent["toDate"], sent["instrument"]) == (str(start), str(end + timedelta(days=1)), "EQUITY")
    weekdays = [start + timedelta(days=n) for n in range(21) if (start + timedelta(days=n)).weekday() < 5]
    days = [datetime.fromtimestamp(c.timestamp, timezone.utc) for c in series.candles]
    assert [d.date() for d in days] == weekdays and all(d.hour == 0 for d in days)   # 00:00 UTC of the date


def test_intraday_history_is_chunked_under_90_days_and_stitched(plugin, session, dhan, instruments):
    end = datetime.now(IST).date() - timedelta(days=1)
    start = end - timedelta(days=199)
    option = instruments[("NFO", "NIFTY26DEC2424000CE")]
    series = plugin.data.history(session, HistoryRequest(instrument=option, interval="5m", start=start, end=end))
    sent = [r.json for r in dhan.requests_to("/v2/charts/intraday")]
    assert len(sent) == 3 and all(s["interval"] == 5 and s["oi"] is True and s["instrument"] == "OPTIDX" for s in sent)
    spans = [datetime.fromisoformat(s["toDate"]) - datetime.fromisoformat(s["fromDate"]) for s in sent]
    assert all(span <= timedelta(days=90) for span in spans)
    assert sent[0]["fromDate"] == f"{start} 00:00:00" and sent[-1]["toDate"] == f"{end} 23:59:59"
    stamps = [c.timestamp for c in series.candles]
    assert stamps == sorted(set(stamps)) and len(stamps) == 3 * sum(
        1 for n in range(200) if (start + timedelta(days=n)).weekday() < 5)


def test_intervals_dhan_does_not_serve(plugin, session, instruments):
    assert plugin.capabilities.intervals == ("1m", "5m", "15m", "1h", "D")
    with pytest.raises(NotSupported, match="3m"):
        plugin.data.history(session, HistoryRequest(instrument=instruments[("NSE", "TCS")], interval="3m",
                                                    start=date.today(), end=date.today()))


def test_funds_with_the_days_m2m(plugin, session):
    funds = plugin.funds.funds(session)
    assert (funds.available_cash, funds.utilised_debits, funds.collateral) == (98440.0, 15202.0, 0.0)
    assert (funds.m2m_realized, funds.m2m_unrealized) == (55.0, -1125.0)


def test_margin_sums_the_legs(plugin, session, dhan, instruments):
    legs = [MarginLeg(instrument=instruments[("NSE", "HDFCBANK")], action="BUY", quantity=5, product="CNC",
                      pricetype="LIMIT", price=1428.0),
            MarginLeg(instrument=instruments[("NFO", "NIFTY26DEC24FUT")], action="SELL", quantity=75, product="NRML",
                      pricetype="MARKET")]
    margin = plugin.funds.margin(session, legs)
    sent = [r.json for r in dhan.requests_to("/v2/margincalculator")]
    assert [(s["exchangeSegment"], s["productType"], s["price"]) for s in sent] == [
        ("NSE_EQ", "CNC", 1428.0), ("NSE_FNO", "MARGIN", 0.0)]
    assert margin.total_margin_required == 2800.0 + 2800.0 * 15
