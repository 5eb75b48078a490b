"""Quotes (batched by 50), depth, candles chunked by the per-interval day limits, funds and margins."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from broker.angel.data import RANGE_LIMIT_DAYS, candle_values, windows
from broker.contract import HistoryRequest, Instrument, MarginLeg
from broker.errors import NotSupported, UnknownSymbol
from tests.brokers.angel.conftest import NIFTY_FUT, NIFTY_INDEX, SBIN, TCS
from tests.fakes.angel.data import base_price, fixture, scrips

QUOTE = "/rest/secure/angelbroking/market/v1/quote"
CANDLES = "/rest/secure/angelbroking/historical/v1/getCandleData"


def test_quote_and_depth_from_full_mode(plugin, angel, session):
    quote = plugin.data.quote(session, SBIN)
    assert (quote.symbol, quote.exchange, quote.ltp) == ("SBIN", "NSE", base_price("3045"))
    assert quote.bid < quote.ltp < quote.ask and quote.volume > 0
    assert angel.requests_to(QUOTE)[-1].json == {"mode": "FULL", "exchangeTokens": {"NSE": ["3045"]}}
    depth = plugin.data.depth(session, SBIN)
    assert len(depth.bids) == len(depth.asks) == 5 and depth.bids[0].price > depth.bids[4].price
    assert plugin.data.quote(session, NIFTY_INDEX).ltp == base_price("99926000")


def test_batch_quotes_take_fifty_tokens_a_call_and_keep_the_order(plugin, angel, session):
    known = [Instrument(symbol=s.symbol, brsymbol=s.symbol, name=s.name, exchange=s.exchange, brexchange=s.exchange,
                        token=s.token) for s in scrips().values() if s.exchange in ("NSE", "NFO", "BSE")]
    wanted = (known * 10)[:120]
    answers = plugin.data.quotes(session, wanted)
    assert [a.ltp for a in answers] == [base_price(i.token) for i in wanted]
    calls = angel.requests_to(QUOTE)
    assert all(sum(len(t) for t in c.json["exchangeTokens"].values()) <= 50 for c in calls)


def test_unknown_token_is_unknown_symbol(plugin, session):
    ghost = Instrument(symbol="GHOST", brsymbol="GHOST-EQ", name="", exchange="NSE", brexchange="NSE", token="999999")
    with pytest.raises(UnknownSymbol):
        plugin.data.quote(session, ghost)
    with pytest.raises(UnknownSymbol):
        plugin.data.quotes(session, [SBIN, ghost])


def test_recorded_full_quote_maps_every_field(plugin):
    row = fixture("quote_full.json")["data"]["fetched"][0]
    quote = plugin.data.to_quote(TCS, row)
    assert (quote.ltp, quote.open, quote.high, quote.low, quote.prev_close, quote.volume) == \
        (3946.5, 3960.0, 3980.0, 3935.0, 3968.85, 1466370)
    assert (quote.bid, quote.ask, quote.bid_qty, quote.ask_qty) == (3946.05, 3946.5, 14, 6)
    assert quote.timestamp == datetime(2024, 3, 21, 9, 28, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("interval, days, parts", [("1m", 70, 3), ("3m", 61, 2), ("1h", 30, 1), ("D", 4000, 2)])
def test_windows_respect_the_day_limits(interval, days, parts):
    start = date(2024, 1, 1)
    spans = windows(interval, start, start + timedelta(days=days - 1))
    assert len(spans) == parts
    assert spans[0][0] == "2024-01-01 00:00"
    for first, last in spans:
        span = datetime.strptime(last, "%Y-%m-%d %H:%M") - datetime.strptime(first, "%Y-%m-%d %H:%M")
        assert span.days < max(RANGE_LIMIT_DAYS.values()) and span.days <= {
            "1m": 30, "3m": 60, "1h": 400, "D": 2000}[interval]
    following = [datetime.strptime(a, "%Y-%m-%d %H:%M") for a, _ in spans[1:]]
    previous = [datetime.strptime(b, "%Y-%m-%d %H:%M") for _, b in spans[:-1]]
    assert all(n - p == timedelta(minutes=1) for n, p in zip(following, previous))      # no gap, no overlap


def test_history_is_chunked_and_stitched(plugin, angel, session):
    end = date(2024, 3, 29)
    start = end - timedelta(days=44)
    series = plugin.data.history(session, HistoryRequest(instrument=SBIN, interval="5m", start=start, end=end))
    assert len(angel.requests_to(CANDLES)) == 1 and series.raw == {"windows": 1}
    minutes = plugin.data.history(session, HistoryRequest(instrument=SBIN, interval="1m", start=start, end=end))
    assert len(angel.requests_to(CANDLES)) == 3          # 45 days of ONE_MINUTE: 30 + 15
    stamps = [c.timestamp for c in minutes.candles]
    weekdays = sum((start + timedelta(days=n)).weekday() < 5 for n in range((end - start).days + 1))
    assert stamps == sorted(set(stamps)) and len(stamps) == 375 * weekdays       # one bar a minute, no gaps
    first = datetime.fromtimestamp(stamps[0], timezone.utc)
    assert (first.hour, first.minute) == (3, 45)            # 09:15 IST
    assert angel.requests_to(CANDLES)[-1].json["interval"] == "ONE_MINUTE"


def test_daily_candles_sit_at_midnight_utc(plugin, session):
    series = plugin.data.history(session, HistoryRequest(instrument=NIFTY_FUT, interval="D",
                                                         start=date(2024, 1, 1), end=date(2024, 1, 7)))
    assert [datetime.fromtimestamp(c.timestamp, timezone.utc).date() for c in series.candles] == \
        [date(2024, 1, d) for d in range(1, 6)]
    assert all(c.timestamp % 86400 == 0 for c in series.candles)
    values = candle_values(fixture("candles.json")["data"][0], daily=False)
    assert values == (1693979100, 19571.2, 19573.35, 19534.4, 19552.05, 0, 0)


def test_unsupported_interval(plugin, session):
    with pytest.raises(NotSupported, match="2m"):
        plugin.data.history(session, HistoryRequest(instrument=SBIN, interval="2m", start=date(2024, 1, 1),
                                                    end=date(2024, 1, 2)))


def test_funds_from_rms(plugin, session):
    funds = plugin.funds.funds(session)
    assert funds.available_cash == 9999999999999.0 and funds.m2m_realized == 0.0


def test_margin_calculator_for_a_basket(plugin, angel, session):
    legs = [MarginLeg(instrument=NIFTY_FUT, action="BUY", quantity=25, product="NRML", pricetype="MARKET")]
    margin = plugin.funds.margin(session, legs)
    assert margin.total_margin_required == round(base_price("35014") * 25 * 0.2, 2) and margin.span_margin
    sent = angel.requests_to("/rest/secure/angelbroking/margin/v1/batch")[-1].json
    assert sent == {"positions": [{"exchange": "NFO", "qty": 25, "price": 0, "productType": "CARRYFORWARD",
                                   "token": "35014", "tradeType": "BUY", "orderType": "MARKET"}]}
