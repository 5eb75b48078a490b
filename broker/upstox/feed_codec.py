"""Upstox market-data feed V3 frames: protobuf `FeedResponse` messages ↔ plain records.

Every binary frame from the feed is one `FeedResponse` of Upstox's published schema
(proto/MarketDataFeedV3.proto, compiled by scripts/gen_upstox_proto.sh): a `type` (market_info on
connect, initial_feed right after a subscription, live_feed after that), `currentTs` and a map of
instrument key → `Feed`. A Feed is one of
  * `ltpc`                 — mode "ltpc": last price, last trade time (epoch ms) and quantity, previous close;
  * `fullFeed.marketFF`    — mode "full" (5 levels) or "full_d30" (30 levels): ltpc plus bid/ask levels,
                             day and intraday OHLC (`interval` "1d", "I1", "I30"), average price, volume
                             (`vtt`), OI, IV, total buy/sell quantity, option greeks;
  * `fullFeed.indexFF`     — an index in mode "full": ltpc and OHLC only;
  * `firstLevelWithGreeks` — mode "option_greeks": ltpc, the best bid/ask, greeks, volume, OI, IV.
Decoding yields one `FeedQuote` per instrument; `encode` builds frames from records (the fake feed and
the round-trip tests use it).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from google.protobuf.message import DecodeError

from broker.upstox.proto import MarketDataFeedV3_pb2 as pb

LTPC, FULL, OPTION_GREEKS, FULL_D30 = "ltpc", "full", "option_greeks", "full_d30"
MODES = (LTPC, FULL, OPTION_GREEKS, FULL_D30)
_REQUEST_MODE = {pb.ltpc: LTPC, pb.full_d5: FULL, pb.option_greeks: OPTION_GREEKS, pb.full_d30: FULL_D30}
_TO_REQUEST_MODE = {mode: number for number, mode in _REQUEST_MODE.items()}
FEED_TYPES = {pb.initial_feed: "initial_feed", pb.live_feed: "live_feed", pb.market_info: "market_info"}
_TO_FEED_TYPE = {name: number for number, name in FEED_TYPES.items()}
DAY_INTERVAL = "1d"


class FeedFormatError(ValueError):
    """The frame is not a FeedResponse of the V3 schema."""


@dataclass(frozen=True, slots=True)
class Greeks:
    delta: float = 0.0
    theta: float = 0.0
    gamma: float = 0.0
    vega: float = 0.0
    rho: float = 0.0


@dataclass(frozen=True, slots=True)
class Candle:
    interval: str
    open: float
    high: float
    low: float
    close: float
    volume: int = 0
    ts: int = 0


@dataclass(frozen=True, slots=True)
class FeedQuote:
    """One instrument's update, in the feed's own terms (prices in rupees, times in epoch ms)."""
    instrument_key: str
    mode: str = LTPC
    ltp: float = 0.0
    last_trade_time: int = 0
    last_trade_quantity: int = 0
    previous_close: float = 0.0
    is_index: bool = False
    volume: int = 0
    average_price: float = 0.0
    oi: float = 0.0
    iv: float = 0.0
    total_buy_quantity: float = 0.0
    total_sell_quantity: float = 0.0
    bids: tuple[tuple[float, int], ...] = ()        # (price, quantity), best first
    asks: tuple[tuple[float, int], ...] = ()
    candles: tuple[Candle, ...] = ()
    greeks: Greeks | None = None

    def day_candle(self) -> Candle | None:
        return next((c for c in self.candles if c.interval == DAY_INTERVAL), None)


@dataclass(frozen=True, slots=True)
class FeedMessage:
    type: str                                        # market_info | initial_feed | live_feed
    current_ts: int = 0
    quotes: tuple[FeedQuote, ...] = ()
    market_status: dict[str, str] = field(default_factory=dict)   # segment → NORMAL_OPEN, ...


# --------------------------------------------------------------------------- decode
def decode(frame: bytes) -> FeedMessage:
    """One binary frame → a FeedMessage; FeedFormatError when it is not a FeedResponse."""
    response = pb.FeedResponse()
    try:
        response.ParseFromString(bytes(frame))
    except (DecodeError, TypeError, ValueError) as exc:
        raise FeedFormatError(f"not an Upstox FeedResponse frame: {exc}") from None
    status = {segment: pb.MarketStatus.Name(value) for segment, value in response.marketInfo.segmentStatus.items()}
    quotes = tuple(_quote(key, feed) for key, feed in response.feeds.items())
    return FeedMessage(type=FEED_TYPES.get(response.type, "live_feed"), current_ts=int(response.currentTs),
                       quotes=quotes, market_status=status)


def _levels(quotes: Iterable[pb.Quote]) -> tuple[tuple[tuple[float, int], ...], tuple[tuple[float, int], ...]]:
    bids, asks = [], []
    for level in quotes:
        if level.bidP or level.bidQ:
            bids.append((float(level.bidP), int(level.bidQ)))
        if level.askP or level.askQ:
            asks.append((float(level.askP), int(level.askQ)))
    return tuple(bids), tuple(asks)


def _candles(ohlc: pb.MarketOHLC) -> tuple[Candle, ...]:
    return tuple(Candle(c.interval, c.open, c.high, c.low, c.close, int(c.vol), int(c.ts)) for c in ohlc.ohlc)


def _greeks(message: pb.OptionGreeks, present: bool) -> Greeks | None:
    if not present:
        return None
    return Greeks(message.delta, message.theta, message.gamma, message.vega, message.rho)


def _ltpc(ltpc: pb.LTPC) -> dict[str, float | int]:
    return {"ltp": float(ltpc.ltp), "last_trade_time": int(ltpc.ltt), "last_trade_quantity": int(ltpc.ltq),
            "previous_close": float(ltpc.cp)}


def _quote(key: str, feed: pb.Feed) -> FeedQuote:
    kind = feed.WhichOneof("FeedUnion")
    mode = _REQUEST_MODE.get(feed.requestMode, LTPC)
    if kind == "ltpc":
        return FeedQuote(key, LTPC, **_ltpc(feed.ltpc))
    if kind == "firstLevelWithGreeks":
        first = feed.firstLevelWithGreeks
        bids, asks = _levels([first.firstDepth]) if first.HasField("firstDepth") else ((), ())
        return FeedQuote(key, OPTION_GREEKS, **_ltpc(first.ltpc), volume=int(first.vtt), oi=first.oi, iv=first.iv,
                         bids=bids, asks=asks, greeks=_greeks(first.optionGreeks, first.HasField("optionGreeks")))
    if kind == "fullFeed":
        if feed.fullFeed.WhichOneof("FullFeedUnion") == "indexFF":
            index = feed.fullFeed.indexFF
            return FeedQuote(key, FULL, **_ltpc(index.ltpc), is_index=True, candles=_candles(index.marketOHLC))
        market = feed.fullFeed.marketFF
        bids, asks = _levels(market.marketLevel.bidAskQuote)
        return FeedQuote(key, mode if mode in (FULL, FULL_D30) else FULL, **_ltpc(market.ltpc),
                         volume=int(market.vtt), average_price=market.atp, oi=market.oi, iv=market.iv,
                         total_buy_quantity=market.tbq, total_sell_quantity=market.tsq, bids=bids, asks=asks,
                         candles=_candles(market.marketOHLC),
                         greeks=_greeks(market.optionGreeks, market.HasField("optionGreeks")))
    return FeedQuote(key, mode)


# --------------------------------------------------------------------------- encode
def _fill_ltpc(target: pb.LTPC, quote: FeedQuote) -> None:
    target.ltp, target.ltt, target.ltq, target.cp = (quote.ltp, quote.last_trade_time, quote.last_trade_quantity,
                                                     quote.previous_close)


def _fill_greeks(target: pb.OptionGreeks, greeks: Greeks) -> None:
    target.delta, target.theta, target.gamma, target.vega, target.rho = (
        greeks.delta, greeks.theta, greeks.gamma, greeks.vega, greeks.rho)


def _fill_candles(target: pb.MarketOHLC, candles: Iterable[Candle]) -> None:
    for candle in candles:
        target.ohlc.add(interval=candle.interval, open=candle.open, high=candle.high, low=candle.low,
                        close=candle.close, vol=candle.volume, ts=candle.ts)


def _fill_feed(feed: pb.Feed, quote: FeedQuote) -> None:
    feed.requestMode = _TO_REQUEST_MODE.get(quote.mode, pb.ltpc)
    if quote.mode == LTPC:
        _fill_ltpc(feed.ltpc, quote)
    elif quote.mode == OPTION_GREEKS:
        first = feed.firstLevelWithGreeks
        _fill_ltpc(first.ltpc, quote)
        if quote.bids or quote.asks:
            bid, ask = (quote.bids or ((0.0, 0),))[0], (quote.asks or ((0.0, 0),))[0]
            first.firstDepth.bidP, first.firstDepth.bidQ, first.firstDepth.askP, first.firstDepth.askQ = (
                bid[0], bid[1], ask[0], ask[1])
        if quote.greeks:
            _fill_greeks(first.optionGreeks, quote.greeks)
        first.vtt, first.oi, first.iv = quote.volume, quote.oi, quote.iv
    elif quote.is_index:
        _fill_ltpc(feed.fullFeed.indexFF.ltpc, quote)
        _fill_candles(feed.fullFeed.indexFF.marketOHLC, quote.candles)
    else:
        market = feed.fullFeed.marketFF
        _fill_ltpc(market.ltpc, quote)
        for i in range(max(len(quote.bids), len(quote.asks))):
            bid = quote.bids[i] if i < len(quote.bids) else (0.0, 0)
            ask = quote.asks[i] if i < len(quote.asks) else (0.0, 0)
            market.marketLevel.bidAskQuote.add(bidP=bid[0], bidQ=bid[1], askP=ask[0], askQ=ask[1])
        _fill_candles(market.marketOHLC, quote.candles)
        if quote.greeks:
            _fill_greeks(market.optionGreeks, quote.greeks)
        market.atp, market.vtt, market.oi, market.iv = quote.average_price, quote.volume, quote.oi, quote.iv
        market.tbq, market.tsq = quote.total_buy_quantity, quote.total_sell_quantity


def encode(quotes: Iterable[FeedQuote], *, type: str = "live_feed", current_ts: int = 0,
           market_status: dict[str, str] | None = None) -> bytes:
    """Records → one FeedResponse frame (the inverse of `decode`)."""
    response = pb.FeedResponse(type=_TO_FEED_TYPE[type], currentTs=int(current_ts))
    for quote in quotes:
        _fill_feed(response.feeds[quote.instrument_key], quote)
    for segment, status in (market_status or {}).items():
        response.marketInfo.segmentStatus[segment] = pb.MarketStatus.Value(status)
    return response.SerializeToString()
