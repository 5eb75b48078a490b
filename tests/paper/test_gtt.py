"""Paper GTT triggers on the database (SQLite and PostgreSQL): they wait, survive a new engine (a
restart), trigger at the exact instant the simulated price crosses a leg, place that leg's order, tell
subscribers, and can be modified, cancelled or expire."""
from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from broker.errors import InvalidOrder, OrderNotFound, OrderRejected
from broker.paper import prices
from broker.paper.engine import EngineSettings, PaperEngine
from tests.paper.conftest import Paper, utc


def _path(paper: Paper, symbol: str = "SBIN", hours: int = 6):
    inst = paper.engine.instrument(symbol, "NSE")
    now = paper.clock()
    epochs, path = prices.price_range(inst, now, now + timedelta(hours=hours), 0)
    return inst, epochs, path, paper.engine.quote(inst)["ltp"]


def _oco(stoploss: float, target: float, tick: float) -> list[dict]:
    return [{"role": "stoploss", "trigger_price": stoploss, "price": round(stoploss - 2 * tick, 2), "pricetype": "LIMIT"},
            {"role": "target", "trigger_price": target, "price": round(target + 2 * tick, 2), "pricetype": "LIMIT"}]


def _first_exit(path: np.ndarray, ltp: float, tick: float, steps: int = 4) -> tuple[float, float, int, str]:
    """OCO triggers `steps` ticks either side of the LTP and where the path first leaves that band."""
    low, high = round(ltp - steps * tick, 2), round(ltp + steps * tick, 2)
    outside = (path <= low) | (path >= high)
    assert outside.any(), "the simulated path should leave a few-tick band within hours"
    index = int(np.argmax(outside))
    return low, high, index, "stoploss" if path[index] <= low else "target"


def test_an_oco_triggers_its_first_crossed_leg_at_that_instant_and_the_order_is_announced(paper: Paper):
    events = []
    paper.engine.on_event = lambda user_id, event: events.append((user_id, event))
    inst, epochs, path, ltp = _path(paper)
    low, high, index, leg_role = _first_exit(path, ltp, inst.tick_size)
    paper.engine.place(paper.user_id, symbol="SBIN", exchange="NSE", action="BUY", quantity=5, product="CNC")
    events.clear()
    gtt = paper.engine.place_gtt(paper.user_id, symbol="SBIN", exchange="NSE", trigger_type="OCO", action="SELL",
                                 quantity=5, product="CNC", legs=_oco(low, high, inst.tick_size), strategy="gtt-test")
    assert gtt.status == "active" and gtt.trigger_id.startswith("GTT-")
    start = utc(paper.clock())
    paper.clock.at = start + timedelta(seconds=int(epochs[index] - start.timestamp()) - 1)
    [still] = paper.engine.gtts(paper.user_id)
    assert still.status == "active" and events == []
    paper.clock.advance(seconds=1)
    [fired] = paper.engine.gtts(paper.user_id)
    legs = {leg["role"]: leg for leg in __import__("json").loads(fired.legs)}
    assert fired.status == "triggered" and legs[leg_role]["order_id"]
    assert [leg["order_id"] for role, leg in legs.items() if role != leg_role] == [""]
    [order] = [o for o in paper.engine.orders(paper.user_id) if o.orderid == legs[leg_role]["order_id"]]
    assert (order.action, order.quantity, order.product, order.pricetype, order.tag, order.strategy) == \
        ("SELL", 5, "CNC", "LIMIT", fired.trigger_id, "gtt-test")
    assert order.price == legs[leg_role]["price"] and order.status != "rejected"
    assert [(uid, e.order_id) for uid, e in events][:1] == [(paper.user_id, order.orderid)]


def test_active_gtts_survive_a_restart_and_still_trigger(paper: Paper):
    inst, epochs, path, ltp = _path(paper)
    low, high, index, _ = _first_exit(path, ltp, inst.tick_size)
    placed = paper.engine.place_gtt(paper.user_id, symbol="SBIN", exchange="NSE", trigger_type="OCO", action="SELL",
                                    quantity=1, product="CNC", legs=_oco(low, high, inst.tick_size))
    restarted = PaperEngine(EngineSettings(), clock=paper.clock)   # a new process: only the database is shared
    start = utc(paper.clock())
    paper.clock.at = start + timedelta(seconds=int(epochs[index] - start.timestamp()) + 5)
    [fired] = restarted.gtts(paper.user_id)
    assert (fired.trigger_id, fired.status) == (placed.trigger_id, "triggered")
    assert any(o.tag == placed.trigger_id for o in restarted.orders(paper.user_id))


def test_a_single_trigger_above_the_price_places_a_market_buy(paper: Paper):
    # a stock whose price rises three ticks within 6 hours (a random walk rarely stays below that)
    inst, epochs, path, ltp = next(found for symbol in ("SBIN", "INFY", "ITC", "TCS", "RELIANCE")
                                   if ((found := _path(paper, symbol))[2] >= found[3] + 3 * found[0].tick_size).any())
    above = path >= ltp + 3 * inst.tick_size
    trigger = round(ltp + 3 * inst.tick_size, 2)
    paper.engine.place_gtt(paper.user_id, symbol=inst.symbol, exchange="NSE", trigger_type="SINGLE", action="BUY",
                           quantity=2, product="CNC",
                           legs=[{"role": "single", "trigger_price": trigger, "price": 0, "pricetype": "MARKET"}])
    paper.clock.at = utc(paper.clock()) + timedelta(seconds=int(epochs[int(np.argmax(above))] - paper.clock().timestamp()))
    [fired] = paper.engine.gtts(paper.user_id)
    assert fired.status == "triggered"
    [order] = paper.engine.orders(paper.user_id)
    assert (order.action, order.pricetype, order.status, order.filled_quantity) == ("BUY", "MARKET", "complete", 2)


def test_modify_cancel_and_expiry(paper: Paper):
    inst, _, _, ltp = _path(paper)
    tick = inst.tick_size
    wide = _oco(round(ltp * 0.5, 1), round(ltp * 1.5, 1), tick)
    gtt = paper.engine.place_gtt(paper.user_id, symbol="SBIN", exchange="NSE", trigger_type="OCO", action="SELL",
                                 quantity=1, product="CNC", legs=wide)
    modified = paper.engine.modify_gtt(paper.user_id, gtt.trigger_id, quantity=3, product="CNC",
                                       legs=_oco(round(ltp * 0.6, 1), round(ltp * 1.4, 1), tick))
    assert modified.quantity == 3 and '"trigger_price": %s' % round(ltp * 0.6, 1) in modified.legs
    cancelled = paper.engine.cancel_gtt(paper.user_id, gtt.trigger_id)
    assert cancelled.status == "cancelled"
    with pytest.raises(OrderRejected, match="is cancelled and cannot be changed"):
        paper.engine.cancel_gtt(paper.user_id, gtt.trigger_id)
    with pytest.raises(OrderNotFound):
        paper.engine.modify_gtt(paper.user_id, "GTT-missing", quantity=1, product="CNC", legs=wide)
    with pytest.raises(InvalidOrder, match="both sides of the last price"):
        paper.engine.place_gtt(paper.user_id, symbol="SBIN", exchange="NSE", trigger_type="OCO", action="SELL",
                               quantity=1, product="CNC", legs=_oco(ltp * 1.1, ltp * 1.2, tick))
    short = paper.engine.place_gtt(paper.user_id, symbol="SBIN", exchange="NSE", trigger_type="OCO", action="SELL",
                                   quantity=1, product="CNC", legs=wide, expires_at=paper.clock() + timedelta(minutes=5))
    paper.clock.advance(minutes=6)
    statuses = {row.trigger_id: row.status for row in paper.engine.gtts(paper.user_id)}
    assert statuses == {gtt.trigger_id: "cancelled", short.trigger_id: "expired"}


def test_a_resting_order_filled_by_the_market_is_announced(paper: Paper):
    events = []
    paper.engine.on_event = lambda user_id, event: events.append(event)
    inst, epochs, path, _ltp = _path(paper)
    quote = paper.engine.quote(inst)
    below = path < quote["bid"] - 5 * inst.tick_size
    assert below.any()
    limit = float(path[int(np.argmax(below))])
    order = paper.engine.place(paper.user_id, symbol="SBIN", exchange="NSE", action="BUY", quantity=3,
                               pricetype="LIMIT", price=limit)
    assert [(e.order_id, e.status) for e in events] == [(order.orderid, "open")]
    paper.clock.at = utc(paper.clock()) + timedelta(seconds=int(epochs[int(np.argmax(below))] - paper.clock().timestamp()))
    assert paper.engine.process(paper.user_id) is True     # what the background matcher calls
    assert [(e.order_id, e.status, e.filled_quantity, e.average_price) for e in events[1:]] == \
        [(order.orderid, "complete", 3, limit)]
    paper.engine.process(paper.user_id)
    assert len(events) == 2               # nothing new: nothing announced
