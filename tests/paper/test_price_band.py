"""The simulated market's price band: it follows the day's move, so an ordinary order priced near the
last price is never refused, whatever the previous close was; far-off prices still are."""
from __future__ import annotations

import pytest

from broker.paper.instruments import catalog
from broker.paper.rules import OrderTerms, check_prices, price_band
from utils.market_calendar import now_ist


@pytest.mark.parametrize("symbol, exchange", [("SBIN", "NSE"), ("RELIANCE", "NSE")])
@pytest.mark.parametrize("move", [0.6, 0.75, 1.0, 1.3, 1.5])   # the last price against the previous close
def test_orders_near_the_last_price_are_inside_the_band(symbol: str, exchange: str, move: float):
    inst = catalog(now_ist().date(), 0).lookup(symbol, exchange)
    prev_close = 1000.0
    ltp = prev_close * move
    for near in (0.9, 0.97, 1.03, 1.1):
        price = round(round(ltp * near / inst.tick_size) * inst.tick_size, 2)
        terms = OrderTerms("BUY", 1, "MIS", "LIMIT", price, 0.0)
        assert check_prices(inst, terms, ltp, prev_close) is None, (price, price_band(inst, ltp, prev_close))
    far = OrderTerms("BUY", 1, "MIS", "LIMIT", round(ltp * 3, 1), 0.0)
    assert "outside the price band" in check_prices(inst, far, ltp, prev_close)
