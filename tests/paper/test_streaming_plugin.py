"""The paper plugin's contract streaming face: simulated ticks reach the caller's callback."""
from __future__ import annotations

import threading
from datetime import datetime, timezone

from broker.contract import BrokerSession, PluginConfig
from broker.paper import create_plugin
from broker.paper.adapters import to_instrument
from broker.paper.calendar import ist_now
from broker.paper.instruments import catalog


def test_subscribed_instruments_tick_to_the_callback_until_closed():
    plugin = create_plugin(PluginConfig(settings={"PAPER_TICK_INTERVAL_MS": "50"}))
    sbin = to_instrument(catalog(ist_now(datetime.now(timezone.utc)).date(), 0).lookup("SBIN", "NSE"))
    ticks, arrived = [], threading.Event()

    def on_tick(tick) -> None:  # noqa: ANN001
        ticks.append(tick)
        if len(ticks) >= 3:
            arrived.set()

    stream = plugin.streaming(BrokerSession(user_id=1, broker="paper", auth_token="paper"), on_tick)
    stream.connect()
    stream.subscribe([sbin], 1)
    try:
        assert arrived.wait(5), "no ticks from the paper feed within 5 s"
    finally:
        stream.close()
    assert {(t.symbol, t.exchange, t.mode) for t in ticks} == {("SBIN", "NSE", 1)}
    assert all(t.ltp > 0 and t.timestamp_ms > 0 for t in ticks)
    count = len(ticks)
    threading.Event().wait(0.3)
    assert len(ticks) == count, "ticks kept arriving after close()"
