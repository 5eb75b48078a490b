"""The market-data feed V3 protobuf frames: decode what the schema says, and encode → decode round trips."""
from __future__ import annotations

import pytest

from broker.upstox.feed_codec import (FULL, FULL_D30, LTPC, OPTION_GREEKS, Candle, FeedFormatError, FeedQuote,
                                      Greeks, decode, encode)
from broker.upstox.proto import MarketDataFeedV3_pb2 as pb

RELIANCE = "NSE_EQ|INE002A01018"


def test_decodes_a_frame_built_directly_with_the_published_schema() -> None:
    """Built field by field with the generated classes, not with our encoder."""
    frame = pb.FeedResponse(type=pb.live_feed, currentTs=1710315726700)
    feed = frame.feeds[RELIANCE]
    feed.requestMode = pb.full_d5
    market = feed.fullFeed.marketFF
    market.ltpc.ltp, market.ltpc.ltt, market.ltpc.ltq, market.ltpc.cp = 2731.25, 1710315726632, 5, 2709.2
    market.marketLevel.bidAskQuote.add(bidQ=1196, bidP=2731.15, askQ=79, askP=2731.4)
    market.marketLevel.bidAskQuote.add(bidQ=100, bidP=2731.1, askQ=0, askP=0)
    market.marketOHLC.ohlc.add(interval="1d", open=2709, high=2735, low=2703.55, close=2731.25, vol=2715045, ts=1)
    market.atp, market.vtt, market.tbq, market.tsq = 2723.6, 2715045, 334012, 494658
    message = decode(frame.SerializeToString())
    assert (message.type, message.current_ts) == ("live_feed", 1710315726700)
    quote = message.quotes[0]
    assert (quote.instrument_key, quote.mode, quote.ltp, quote.previous_close) == (RELIANCE, FULL, 2731.25, 2709.2)
    assert quote.bids == ((2731.15, 1196), (2731.1, 100)) and quote.asks == ((2731.4, 79),)
    assert quote.day_candle() == Candle("1d", 2709, 2735, 2703.55, 2731.25, 2715045, 1)
    assert (quote.volume, quote.average_price, quote.total_buy_quantity) == (2715045, 2723.6, 334012)


def test_market_info_frame_carries_segment_status() -> None:
    frame = pb.FeedResponse(type=pb.market_info, currentTs=5)
    frame.marketInfo.segmentStatus["NSE_EQ"] = pb.NORMAL_OPEN
    frame.marketInfo.segmentStatus["MCX_FO"] = pb.CLOSING_END
    message = decode(frame.SerializeToString())
    assert message.type == "market_info" and not message.quotes
    assert message.market_status == {"NSE_EQ": "NORMAL_OPEN", "MCX_FO": "CLOSING_END"}


@pytest.mark.parametrize("quote", [
    FeedQuote(RELIANCE, LTPC, ltp=2731.25, last_trade_time=1710315726632, last_trade_quantity=5, previous_close=2709.2),
    FeedQuote("NSE_FO|54524", OPTION_GREEKS, ltp=120.5, last_trade_time=9, bids=((120.45, 75),), asks=((120.55, 150),),
              greeks=Greeks(0.51, -12.2, 0.0011, 9.8, 2.1), volume=9100, oi=124000.0, iv=0.14),
    FeedQuote("NSE_INDEX|Nifty 50", FULL, ltp=24010.5, previous_close=23990.0, is_index=True,
              candles=(Candle("1d", 23990, 24050, 23950, 24010.5, 0, 7),)),
    FeedQuote("NSE_FO|52567", FULL_D30, ltp=800.0, bids=tuple((800 - i * 0.05, i) for i in range(1, 31)),
              asks=tuple((800 + i * 0.05, i) for i in range(1, 31)), oi=12000.0, volume=3),
])
def test_round_trip(quote: FeedQuote) -> None:
    assert decode(encode([quote], type="initial_feed")).quotes == (quote,)


def test_many_instruments_in_one_frame() -> None:
    quotes = [FeedQuote(f"NSE_FO|{token}", LTPC, ltp=float(token)) for token in range(1000, 1300)]
    decoded = decode(encode(quotes)).quotes
    assert sorted(q.instrument_key for q in decoded) == sorted(q.instrument_key for q in quotes)


@pytest.mark.parametrize("frame", [b"\xff\xff\xff", b"\x12\x05\x0a\x03", "text frame"])
def test_a_frame_that_is_not_a_feed_response_is_refused(frame) -> None:
    with pytest.raises(FeedFormatError):
        decode(frame)
