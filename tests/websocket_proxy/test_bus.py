"""The proxy's bus reader: topic filters, and skipping old backlog (never new ticks) when overloaded."""
from __future__ import annotations

import asyncio
import time

import pytest
import zmq

from tests.support.net import free_port
from websocket_proxy import bus as bus_module
from websocket_proxy.bus import TickSubscriber, endpoint

pytestmark = pytest.mark.xdist_group("websocket_proxy")


def _pub(port: int) -> zmq.Socket:
    sock = zmq.Context.instance().socket(zmq.PUB)
    sock.setsockopt(zmq.SNDHWM, 0)
    sock.connect(endpoint("127.0.0.1", port))
    return sock


def test_only_wanted_topics_arrive():
    async def scenario():
        got = []
        port = free_port()
        sub = TickSubscriber(endpoint("127.0.0.1", port), bind=True, dispatch=lambda t, p: got.append(t))
        sub.start()
        sub.want(b"b_NSE_SBIN_LTP")
        pub = _pub(port)
        await asyncio.sleep(0.3)
        for topic in (b"b_NSE_INFY_LTP", b"b_NSE_SBIN_LTP", b"b_NSE_SBIN_QUOTE"):
            pub.send_multipart([topic, b"{}"])
        await asyncio.sleep(0.2)
        sub.unwant(b"b_NSE_SBIN_LTP")
        await asyncio.sleep(0.1)
        pub.send_multipart([b"b_NSE_SBIN_LTP", b"{}"])
        await asyncio.sleep(0.2)
        pub.close(0)
        sub.close()
        return got

    assert asyncio.run(scenario()) == [b"b_NSE_SBIN_LTP"]


def test_overloaded_reader_skips_old_ticks_keeps_newest_per_topic(monkeypatch):
    monkeypatch.setattr(bus_module, "MAX_LAG", 0.0)

    async def scenario():
        got: list[tuple[bytes, bytes]] = []
        port = free_port()
        sub = TickSubscriber(endpoint("127.0.0.1", port), bind=True, dispatch=lambda t, p: got.append((t, p)))
        sub.start()
        sub.want(b"")
        pub = _pub(port)
        await asyncio.sleep(0.3)   # connected and subscribed
        for seq in range(5000):   # the loop is blocked meanwhile: a long backlog builds up
            pub.send_multipart([b"T%d" % (seq % 7 if seq < 4000 else 100 + seq % 3), b"%d" % seq])
        time.sleep(0.3)
        await asyncio.sleep(0.5)
        pub.close(0)
        sub.close()
        return got, sub.conflated

    got, skipped = asyncio.run(scenario())
    payloads = [int(p) for _, p in got]
    assert skipped > 0 and payloads[-1] == 4999 and len(got) + skipped == 5000
    assert payloads[-128:] == list(range(4872, 5000))   # the newest ticks, in order
    newest_old_topics = {t: int(p) for t, p in got if not t.startswith(b"T10")}
    assert newest_old_topics == {b"T%d" % k: max(s for s in range(4000) if s % 7 == k) for k in range(7)}
