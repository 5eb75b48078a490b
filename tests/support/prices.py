"""Order prices for tests, taken from the current quote: the paper market's prices move with the date,
so a literal price is inside the price band on some days only."""
from __future__ import annotations

import math


def on_tick(price: float, tick: float = 0.05) -> float:
    """`price` rounded down to the instrument's tick (never below one tick), as a 2-decimal float."""
    tick = tick or 0.05
    return round(max(tick, math.floor(round(price / tick, 6)) * tick), 2)


def resting_buy(ltp: float, tick: float = 0.05, below: float = 0.97) -> float:
    """A LIMIT BUY price inside the price band but under the market, so the order rests (open)."""
    return on_tick(ltp * below, tick)
