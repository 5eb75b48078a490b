"""The paper broker's live feed: simulated ticks every PAPER_TICK_INTERVAL_MS for what clients watch.

Built on `TimerFeedAdapter`: each interval every subscribed instrument gets one DEPTH-rich tick
from `broker.paper.ticks.tick`, which the base adapter serves to LTP, Quote and Depth subscribers. The
values are a pure function of the instant, so they agree with /quotes, /depth and /history.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable, ClassVar, Iterable

from broker.paper import calendar
from broker.paper.instruments import catalog
from broker.paper.ticks import tick
from broker.streaming import FeedInstrument, TimerFeedAdapter
from broker.ticks import FeedTick
from utils.clock import system_now
from utils.constants import MODE_DEPTH


class PaperStreaming(TimerFeedAdapter):
    broker = "paper"
    seed: ClassVar[int] = 0
    # the app's clock (PluginConfig.clock), so ticks agree with /quotes under a moved clock
    clock: ClassVar[Callable[[], datetime]] = staticmethod(system_now)

    def generate(self, instruments: list[FeedInstrument]) -> Iterable[FeedTick]:
        now = self.clock()
        known = catalog(calendar.ist_now(now).date(), self.seed)
        for wanted in instruments:
            inst = known.lookup(wanted.symbol, wanted.exchange)
            if inst is None:
                continue
            data = tick(inst, now, MODE_DEPTH, self.seed)
            depth = data["depth"]
            yield FeedTick(exchange=wanted.exchange, symbol=wanted.symbol, ltp=data["ltp"], mode=MODE_DEPTH,
                       timestamp=data["timestamp"], ltt=data["ltt"], open=data["open"], high=data["high"],
                       low=data["low"], close=data["close"], volume=data["volume"],
                       last_trade_quantity=data["last_trade_quantity"], avg_trade_price=data["avg_trade_price"],
                       oi=data["oi"], total_buy_quantity=data["total_buy_quantity"],
                       total_sell_quantity=data["total_sell_quantity"],
                       bids=[(lvl["price"], lvl["quantity"], lvl["orders"]) for lvl in depth["buy"]],
                       asks=[(lvl["price"], lvl["quantity"], lvl["orders"]) for lvl in depth["sell"]])
