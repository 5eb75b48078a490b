"""The simulated market: instrument list, deterministic prices, coherent quotes/candles, sound option chains."""
from __future__ import annotations

import hashlib
import math
import subprocess
import sys
from datetime import date, datetime, timedelta

import numpy as np
import pytest

from broker.paper import market, prices
from broker.paper.calendar import IST
from broker.paper.instruments import catalog
from broker.paper.universe import RISK_FREE_RATE, index_spec
from utils.config import PROJECT_ROOT
from utils.symbols import parse_derivative, parse_master_expiry

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 11, 30, 7, tzinfo=IST)


@pytest.fixture(scope="module")
def rows():
    return catalog(TODAY).rows


def _options(rows, base: str):
    chains: dict[str, list] = {}
    for row in rows:
        parsed = parse_derivative(row.symbol)
        if row.kind == "option" and parsed.base == base:
            chains.setdefault(row.expiry, []).append(row)
    return chains


def test_instrument_list_covers_the_promised_universe(rows):
    by_exchange = {}
    for row in rows:
        by_exchange.setdefault(row.exchange, set()).add(row.symbol)
    assert len(by_exchange["NSE"]) > 70 and {"SBIN", "RELIANCE", "M&M", "YESBANK", "IRFC", "IDEA"} <= by_exchange["NSE"]
    assert {"RELIANCE", "SBIN"} <= by_exchange["BSE"]
    assert {"NIFTY", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY", "NIFTYNXT50", "INDIAVIX"} <= by_exchange["NSE_INDEX"]
    assert by_exchange["BSE_INDEX"] == {"SENSEX", "BANKEX", "SENSEX50"}
    assert {s for s in by_exchange["MCX"] if s.startswith("CRUDEOIL")}
    futures = [r for r in rows if r.instrumenttype == "FUTIDX" and parse_derivative(r.symbol).base == "NIFTY"]
    assert len(futures) == 3 and all(parse_master_expiry(f.expiry).weekday() in (0, 1) for f in futures)


@pytest.mark.parametrize("base, weekday", [("NIFTY", 1), ("BANKNIFTY", 1), ("SENSEX", 3)])
def test_option_chains_have_real_lots_spacing_and_expiry_days(rows, base, weekday):
    lot, step = index_spec(base).lotsize, index_spec(base).strike_step
    chains = _options(rows, base)
    assert len(chains) >= 2
    for expiry, legs in chains.items():
        strikes = sorted({leg.strike for leg in legs})
        assert len(strikes) >= 40 and set(np.diff(strikes)) == {step}
        assert {leg.lotsize for leg in legs} == {lot}
        day = parse_master_expiry(expiry)
        assert day >= TODAY and day.weekday() <= weekday   # a holiday moves expiry earlier
        for leg in legs[:4]:
            parsed = parse_derivative(leg.symbol)
            assert parsed.strike == leg.strike and parsed.option_type == leg.option_type


def test_prices_are_the_same_in_another_process():
    sbin = catalog(TODAY).lookup("SBIN", "NSE")
    here = prices.price(sbin, NOW, 0)
    code = ("from datetime import date, datetime; from broker.paper.calendar import IST; "
            "from broker.paper.instruments import catalog; from broker.paper import prices; "
            "print(prices.price(catalog(date(2026,11,25)).lookup('SBIN','NSE'), "
            "datetime(2026,11,25,11,30,7,tzinfo=IST), 0))")
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    assert float(out.stdout) == here
    assert prices.price(sbin, NOW, 1) != here   # PAPER_SEED changes the market


def test_quote_depth_and_candles_agree():
    sbin = catalog(TODAY).lookup("SBIN", "NSE")
    quote = market.quote(sbin, NOW, 0)
    assert quote["bid"] <= quote["ltp"] <= quote["ask"] and quote["low"] <= quote["ltp"] <= quote["high"]
    depth = market.depth(sbin, NOW, 0)
    assert [level["price"] for level in depth["bids"]] == sorted((l["price"] for l in depth["bids"]), reverse=True)
    assert depth["bids"][0]["price"] == quote["bid"] and depth["asks"][0]["price"] == quote["ask"]
    assert len(depth["bids"]) == len(depth["asks"]) == 5
    minutes = market.candles(sbin, "1m", TODAY, TODAY, NOW, 0)
    last = minutes[-1]
    assert last["close"] == quote["ltp"] and minutes[0]["open"] == quote["open"]
    assert max(c["high"] for c in minutes) == quote["high"] and min(c["low"] for c in minutes) == quote["low"]
    assert sum(c["volume"] for c in minutes) == quote["volume"]
    start = datetime.fromtimestamp(last["timestamp"], tz=IST)
    seen = [market.quote(sbin, start + timedelta(seconds=s), 0)["ltp"] for s in range(NOW.second + 1)]
    assert max(seen) == last["high"] and min(seen) == last["low"]
    [day] = market.candles(sbin, "D", TODAY, TODAY, NOW, 0)
    assert (day["open"], day["high"], day["low"], day["close"]) == \
        (quote["open"], quote["high"], quote["low"], quote["ltp"])
    assert day["timestamp"] == 1795564800           # 2026-11-25 00:00 UTC (§6.4)
    yesterday = market.candles(sbin, "D", TODAY - timedelta(days=1), TODAY - timedelta(days=1), NOW, 0)[0]
    assert yesterday["close"] == quote["prev_close"]
    assert market.candles(sbin, "5m", TODAY + timedelta(days=1), TODAY + timedelta(days=2), NOW, 0) == []


def test_option_chain_is_arbitrage_free_and_keeps_put_call_parity(rows):
    chains = _options(rows, "NIFTY")
    future = next(r for r in rows if r.kind == "future" and r.symbol.startswith("NIFTY") and r.expiry in chains)
    expiry = future.expiry   # the monthly: options and the future share it
    legs = chains[expiry]
    spot_inst = catalog(TODAY).lookup("NIFTY", "NSE_INDEX")
    spot = prices.raw_price(spot_inst, NOW, 0)
    tau = (legs[0].expiry_epoch - NOW.timestamp()) / (365 * 86400)
    forward = spot * math.exp(RISK_FREE_RATE * tau)
    strikes = sorted({leg.strike for leg in legs})
    call = {leg.strike: prices.raw_price(leg, NOW, 0) for leg in legs if leg.option_type == "CE"}
    put = {leg.strike: prices.raw_price(leg, NOW, 0) for leg in legs if leg.option_type == "PE"}
    calls, puts = np.array([call[k] for k in strikes]), np.array([put[k] for k in strikes])
    assert np.all(np.diff(calls) < 0) and np.all(np.diff(puts) > 0)
    assert np.all(np.diff(calls, 2) > -1e-9) and np.all(np.diff(puts, 2) > -1e-9)   # convex in strike
    parity = calls - puts - math.exp(-RISK_FREE_RATE * tau) * (forward - np.array(strikes))
    assert np.abs(parity).max() < 1e-6
    ticked_c = [prices.price(leg, NOW, 0) for leg in sorted(legs, key=lambda l: l.strike) if leg.option_type == "CE"]
    assert all(a >= b for a, b in zip(ticked_c, ticked_c[1:]))
    assert prices.raw_price(future, NOW, 0) == pytest.approx(forward)   # the future trades at the forward


def test_ticks_follow_the_websocket_contract_and_match_quotes():
    from broker.paper.ticks import tick

    sbin = catalog(TODAY).lookup("SBIN", "NSE")
    quote = market.quote(sbin, NOW, 0)
    ltp = tick(sbin, NOW, 1)
    assert ltp == {"ltp": quote["ltp"], "ltt": int(NOW.timestamp()) * 1000, "timestamp": int(NOW.timestamp() * 1000)}
    full = tick(sbin, NOW, 2)
    for key in ("open", "high", "low", "close", "volume", "last_trade_quantity", "avg_trade_price", "change",
                "change_percent"):
        assert key in full
    assert full["close"] == quote["prev_close"] and full["change"] == pytest.approx(quote["ltp"] - quote["prev_close"])
    depth = tick(sbin, NOW, 3)
    assert depth["depth"]["buy"][0]["price"] == quote["bid"] and len(depth["depth"]["sell"]) == 5
    assert all(set(level) == {"price", "quantity", "orders"} for level in depth["depth"]["buy"])
    with pytest.raises(ValueError):
        tick(sbin, NOW, 4)


@pytest.mark.parametrize("symbol, exchange", [("SBIN", "NSE"), ("NIFTY", "NSE_INDEX"), ("FUTURE", "NFO")])
def test_history_bars_are_the_seconds_quotes_show_bucketed(rows, symbol, exchange):
    """Past days' bars come from the minute model without touching the seconds; they are exactly the
    per-second prices (what quotes, ticks and fills read) bucketed, for spot and derivatives alike."""
    inst = (next(r for r in rows if r.kind == "future" and r.name == "NIFTY") if symbol == "FUTURE"
            else catalog(TODAY).lookup(symbol, exchange))
    day = TODAY - timedelta(days=3)
    seconds = prices.to_tick(prices.series(inst, day, 0, upto=prices.SECONDS_PER_DAY - 1), inst.tick_size)
    for interval, bucket in (("1m", 60), ("5m", 300), ("1h", 3600)):
        bars = market.candle_columns(inst, interval, day, day, NOW, 0)
        shaped = seconds.reshape(-1, bucket)
        assert len(bars) == shaped.shape[0]
        assert np.array_equal(bars.open, shaped[:, 0]) and np.array_equal(bars.close, shaped[:, -1])
        assert np.array_equal(bars.high, shaped.max(axis=1)) and np.array_equal(bars.low, shaped.min(axis=1))
    [daily] = market.candles(inst, "D", day, day, NOW, 0)
    assert (daily["open"], daily["high"], daily["low"], daily["close"]) == \
        (seconds[0], seconds.max(), seconds.min(), seconds[-1])
    weekly = market.candles(inst, "W", day - timedelta(days=20), day, NOW, 0)
    days = market.candles(inst, "D", day - timedelta(days=20), day, NOW, 0)
    assert max(bar["high"] for bar in weekly) == max(bar["high"] for bar in days)
    assert sum(bar["volume"] for bar in weekly) == sum(bar["volume"] for bar in days)


def test_a_past_window_is_served_again_unchanged(rows):
    sbin = catalog(TODAY).lookup("SBIN", "NSE")
    start, end = TODAY - timedelta(days=40), TODAY - timedelta(days=1)
    first = market.candle_columns(sbin, "5m", start, end, NOW, 0)
    market.reset_caches()
    again = market.candle_columns(sbin, "5m", start, end, NOW, 0)
    assert first == again and len(first) == 40 * 288
    with pytest.raises(ValueError):
        first.close[0] = 1.0                      # shared bars cannot be changed by a caller
    assert market.candles(sbin, "5m", start, end, NOW, 1) != first.rows()   # the seed is part of the key


def test_minutes_have_extremes_inside_and_join_the_next_day():
    sbin = catalog(TODAY).lookup("SBIN", "NSE")
    bars = prices.minute_bars(sbin, TODAY - timedelta(days=5), 3, 0)
    assert np.all(bars.low <= np.minimum(bars.open, bars.close))
    assert np.all(bars.high >= np.maximum(bars.open, bars.close))
    assert np.all(bars.low < bars.high)
    assert np.array_equal(bars.end[:-1], bars.open[1:, 0])       # 24:00 of one day is 00:00 of the next
    assert np.all(bars.high_second != bars.low_second)


def test_past_bars_are_the_recorded_ones():
    """The bars of a past window are a fixed function of (symbol, interval, dates, seed): these digests
    were taken from the bars before history was made faster; a change here changes every user's charts
    and backtests."""
    cat = catalog(TODAY)
    for symbol, exchange, interval, days, digest in (("SBIN", "NSE", "5m", 3, "30ff2005de0039d9"),
                                                     ("NIFTY", "NSE_INDEX", "15m", 3, "5fc8447724a24110"),
                                                     ("SBIN", "NSE", "D", 40, "257c10a643791b89")):
        market.reset_caches()
        bars = market.candle_columns(cat.lookup(symbol, exchange), interval, TODAY - timedelta(days=days),
                                     TODAY - timedelta(days=1), NOW, 0)
        assert hashlib.sha256(bars.json()).hexdigest()[:16] == digest, (symbol, interval)


def test_history_bars_are_the_same_in_another_process():
    code = ("import hashlib; from datetime import date, datetime; from broker.paper.calendar import IST; "
            "from broker.paper.instruments import catalog; from broker.paper import market; "
            "bars = market.candle_columns(catalog(date(2026,11,25)).lookup('INFY','NSE'), '5m', date(2026,9,1), "
            "date(2026,10,30), datetime(2026,11,25,11,30,7,tzinfo=IST), 0); print(hashlib.sha256(bars.json()).hexdigest())")
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    here = market.candle_columns(catalog(TODAY).lookup("INFY", "NSE"), "5m", date(2026, 9, 1), date(2026, 10, 30),
                                 NOW, 0)
    assert out.stdout.strip() == hashlib.sha256(here.json()).hexdigest()


@pytest.mark.parametrize("interval", ["1m", "5m", "15m", "1h", "D"])
def test_a_window_has_the_same_bars_alone_and_inside_a_longer_range(interval):
    """However a range is cut into requests (windows, backtest chunks, a restart between them), a bar is
    the same bar; and every bar is consistent: low <= open, close <= high, volume >= 0."""
    inst = catalog(TODAY).lookup("RELIANCE", "NSE")
    first, last = TODAY - timedelta(days=45), TODAY - timedelta(days=31)
    market.reset_caches()
    alone = market.candle_columns(inst, interval, first, last, NOW, 0)
    market.reset_caches()
    longer = market.candle_columns(inst, interval, first - timedelta(days=14), last + timedelta(days=20), NOW, 0)
    inside = (longer.timestamp >= alone.timestamp[0]) & (longer.timestamp <= alone.timestamp[-1])
    assert len(alone) and longer[np.flatnonzero(inside)[0]:np.flatnonzero(inside)[-1] + 1] == alone
    assert np.all(longer.low <= np.minimum(longer.open, longer.close))
    assert np.all(longer.high >= np.maximum(longer.open, longer.close))
    assert np.all(longer.volume >= 0) and np.all(np.diff(longer.timestamp) > 0)


def test_bars_from_log_prices_equal_the_minute_bars_bucketed():
    """History reduces a driver's minutes in log prices and exponentiates only the bars' prices; that
    must give exactly the floats the minute bars (what quotes and fills read) give when bucketed."""
    sbin = catalog(TODAY).lookup("SBIN", "NSE")
    first = TODAY - timedelta(days=70)
    minutes = prices.minute_bars(sbin, first, 60, 0)
    for bucket in (1, 5, 15, 60, prices.MINUTES_PER_DAY):
        shape = (60, prices.MINUTES_PER_DAY // bucket, bucket)
        opens, highs, lows, closes = prices.bucket_prices(sbin, first, 60, bucket, 0)
        assert np.array_equal(opens, minutes.open.reshape(shape)[:, :, 0])
        assert np.array_equal(highs, minutes.high.reshape(shape).max(axis=2))
        assert np.array_equal(lows, minutes.low.reshape(shape).min(axis=2))
        assert np.array_equal(closes, minutes.close.reshape(shape)[:, :, -1])
        volumes = prices.bucket_volumes(sbin, first, 60, bucket, 0)
        bounds = np.arange(0, prices.SECONDS_PER_DAY + 1, bucket * 60)
        expected = [np.diff(prices.cumulative_volumes(sbin, first + timedelta(days=d), bounds, 0)) for d in range(60)]
        assert np.array_equal(volumes, np.stack(expected))
    anchors = prices.day_anchors(sbin.driver_key, sbin.reference_price, sbin.volatility, first.toordinal(), 60, 0)
    prices.day_anchor.cache_clear()
    assert anchors.tolist() == [prices.day_anchor(sbin.driver_key, sbin.reference_price, sbin.volatility,
                                                  first.toordinal() + d, 0) for d in range(60)]


@pytest.mark.parametrize("parts", [[0, 12345, None], [7, 2 ** 32 - 1, None, 7], [2 ** 40 + 3, 0, None],
                                   [None], [1, 2, 3, 4, None, 5]])
def test_day_generators_draw_what_default_rng_draws(parts):
    """The per-day draws are numpy's default_rng([... day ...]) streams, however they are seeded."""
    days = np.array([1, 739_000, 740_123, 2 ** 32 - 1])
    for day, generator in zip(days.tolist(), prices._day_generators(parts, days)):
        expected = np.random.default_rng([day if part is None else part for part in parts])
        assert np.array_equal(generator.standard_normal(100), expected.standard_normal(100))
        assert np.array_equal(generator.random(10), expected.random(10))
        assert np.array_equal(generator.uniform(0.3, 1.7, 10), expected.uniform(0.3, 1.7, 10))
