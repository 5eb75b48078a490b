"""Analyzer mode on the live market (issue 23): a sandbox MARKET order filled at the live broker's quote,
and a resting LIMIT's fill after the live price crosses it, against floors measured in the same run.

In-process app (Flask test client) on a temporary SQLite file; Zerodha through the fake Kite server
(tests/fakes/kite_server.py). Rows:
  floor: Kite quote      one `plugin.data.quote` call through the Zerodha plugin (the live source's cost)
  floor: paper MARKET    the same REST placeorder on the simulated market (analyzer, market=simulated)
  sandbox MARKET         REST placeorder in analyzer mode on the Kite market
  cross-to-fill          the fake's price crosses a resting LIMIT → an orderstatus call returns it filled
  floor: tick recorded   a tick published on the ZeroMQ bus (as a feed adapter does) → recorded in the
                         user's LiveMarketView by the WebSocket proxy's sandbox tap (bus + tap)
  tick-to-fill           a tick crossing a resting LIMIT published on the bus → the order is filled and
                         committed (tap → matcher woken → engine under the account lock), no request
Every live-market read spends Kite's quote budget (1 call/s, enforced by the plugin's rate limiter), so
the quote-driven rows are bounded by it; the floors show what the engine adds on top. The tick rows run
the proxy in-process with its production wiring (the fake Kite ticker feeds it prices that never cross).

    .venv/bin/python bench/sandbox_bench.py [--orders N]
"""
from __future__ import annotations

import argparse
import asyncio
import threading
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from argon2 import PasswordHasher  # noqa: E402
from sqlalchemy import select  # noqa: E402

from app import create_app  # noqa: E402
from broker.streaming import TickPublisher  # noqa: E402
from broker.ticks import LTP, FeedTick, encode, market_data, topic_for  # noqa: E402
from database import db  # noqa: E402
from database.paper import PaperOrder  # noqa: E402
from services import events, order_target  # noqa: E402
from services import accounts, api_keys, broker_session, master_contract  # noqa: E402
from services.instrument_cache import cache_for  # noqa: E402
from tests.fakes.kite_server import API_KEY, API_SECRET, REQUEST_TOKEN, KiteServer  # noqa: E402
from tests.fakes.kite_ticker import KiteTickerServer  # noqa: E402
from tests.support.net import free_port  # noqa: E402
from websocket_proxy.bus import endpoint  # noqa: E402
from websocket_proxy.server import ProxyConfig, ProxyServer  # noqa: E402
from websocket_proxy.wiring import ProductionWiring  # noqa: E402

SECRETS = {"APP_KEY": "bench-app-key-0123456789abcdef0123456789abcdef",
           "API_KEY_PEPPER": "bench-pepper-fedcba9876543210fedcba9876543210"}
SYMBOL = "CDSL"     # an NSE equity of the recorded Kite dump the simulated universe does not list


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def timed(func) -> float:  # noqa: ANN001
    started = time.perf_counter()
    func()
    return (time.perf_counter() - started) * 1000


def wait(predicate, timeout: float = 10.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the sandbox tick path did not answer in time")
        time.sleep(0.0005)


def running_proxy(app):  # noqa: ANN001, ANN201
    """The WebSocket proxy with its production wiring (sandbox tap included) on a thread of its own."""
    settings = app.extensions["openalgo.settings"]
    wiring = ProductionWiring(settings, app)
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    server = ProxyServer(ProxyConfig(port=0, bus_port=settings.ZMQ_PORT), wiring.authenticate, wiring.adapter_factory,
                         wiring.lookup_symbol, wiring.brokers, sandbox_watch=wiring.sandbox_watch)
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
    return server, loop


def tick_rows(app, post, kite: KiteServer, ticker: KiteTickerServer, user_id: int,  # noqa: ANN001
              rounds: int) -> tuple[list[float], list[float]]:
    """(tick recorded, tick-to-fill) in ms: ticks published on the bus as the Zerodha adapter would; Kite's
    quote stays above the resting orders, so only the ticks can fill them. The fake ticker is silenced once
    the proxy subscribed, so the only prices on the topic are the bench's."""
    kite.set_quote(f"NSE:{SYMBOL}", last_price=100.0, bid=99.95, ask=100.05)
    server, loop = running_proxy(app)
    publisher = TickPublisher(endpoint("127.0.0.1", app.extensions["openalgo.settings"].ZMQ_PORT))
    topic = topic_for("zerodha", "NSE", SYMBOL, LTP)
    order = dict(strategy="bench", symbol=SYMBOL, exchange="NSE", action="BUY", pricetype="LIMIT", product="MIS",
                 quantity=1)
    post("live", "placeorder", **{**order, "price": 85})        # rests all along: the tap keeps the topic
    with app.app_context():
        view = order_target.live_sandbox(user_id).view
    wait(lambda: server.tap.status()["instruments"] == 1)
    ticker.frozen = True

    def publish(price: float) -> None:
        publisher.publish(topic, encode(market_data(FeedTick("NSE", SYMBOL, ltp=price), LTP, "zerodha")))

    def status(orderid: str) -> str:
        with app.app_context():
            found = db.session.scalar(select(PaperOrder.status).where(PaperOrder.orderid == orderid))
            db.session.rollback()
            return found

    recorded_ms, fill_ms = [], []
    wait(lambda: (publish(100.01), view.last("NSE", SYMBOL) == 100.01)[1])   # the bus connection is up
    for index in range(rounds):
        price = 100.0 + (index % 50) / 100
        started = time.perf_counter()
        publish(price)
        wait(lambda: view.last("NSE", SYMBOL) == price)
        recorded_ms.append((time.perf_counter() - started) * 1000)
    for _ in range(rounds):
        publish(100.0)
        orderid = post("live", "placeorder", **{**order, "price": 99})["orderid"]
        seen = events.counter(user_id)
        started = time.perf_counter()
        publish(98.5)
        while status(orderid) != "complete":
            seen = events.wait(user_id, seen, 10.0)
        fill_ms.append((time.perf_counter() - started) * 1000)
    asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    publisher.close()
    return recorded_ms, fill_ms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=10)
    rounds = parser.parse_args().orders
    folder = Path(tempfile.mkdtemp())
    with KiteServer() as kite:
        ticker = KiteTickerServer(api_key=API_KEY, access_token=kite.access_token)
        app = create_app({**SECRETS, "ENV_FILE": None, "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite'}",
                          "LOGS_DATABASE_URL": f"sqlite:///{folder / 'logs.db'}", "LOG_LEVEL": "WARNING",
                          "LOG_DIR": str(folder / "log"), "WEBSOCKET_PROXY_ENABLED": "false",
                          "VALID_BROKERS": "zerodha,paper", "BROKER_API_KEY": API_KEY,
                          "BROKER_API_SECRET": API_SECRET, "ZERODHA_API_URL": kite.url,
                          "ZERODHA_TICKER_URL": ticker.url, "ZMQ_PORT": str(free_port()),
                          "REDIRECT_URL": "http://127.0.0.1:5000/zerodha/callback",
                          "ORDER_RATE_LIMIT": "10000 per second", "API_RATE_LIMIT": "10000 per second",
                          "PASSWORD_HASHER": PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)})
        client = app.test_client()
        keys, users = {}, {}
        with app.app_context():
            for name in ("live", "simulated"):
                user = accounts.create_user(name, f"{name}@example.com", "bench-pass-1", force=True)
                keys[name] = api_keys.issue(user.id, source="bench")
                users[name] = user.id
                broker_session.connect(user.id, "zerodha", {"request_token": REQUEST_TOKEN, "status": "success"})
            live = broker_session.live_session(user.id)
            master_contract.download("zerodha", live.plugin, session=live.session, force=True)
            instrument = cache_for("zerodha").by_symbol(SYMBOL, "NSE")
        ticker.set_price(int(instrument.token), 100.0)

        def post(name: str, endpoint: str, **body):  # noqa: ANN001, ANN202
            answer = client.post(f"/api/v1/{endpoint}", json={"apikey": keys[name], **body})
            assert answer.status_code == 200, answer.get_json()
            return answer.get_json()

        post("live", "analyzer/toggle", mode=True)
        post("simulated", "analyzer/toggle", mode=True, market="simulated")
        kite.set_quote(f"NSE:{SYMBOL}", last_price=100.0, bid=99.95, ask=100.05)
        order = dict(strategy="bench", exchange="NSE", action="BUY", pricetype="MARKET", product="MIS", quantity=1)
        with app.app_context():
            quote_ms = [timed(lambda: live.plugin.data.quote(live.session, instrument)) for _ in range(rounds)]
        paper_ms = [timed(lambda: post("simulated", "placeorder", symbol="SBIN", **order)) for _ in range(rounds)]
        sandbox_ms = [timed(lambda: post("live", "placeorder", symbol=SYMBOL, **order)) for _ in range(rounds)]
        cross_ms = []
        for _ in range(max(3, rounds // 3)):
            kite.set_quote(f"NSE:{SYMBOL}", last_price=100.0, bid=99.95, ask=100.05)
            orderid = post("live", "placeorder", symbol=SYMBOL, **{**order, "pricetype": "LIMIT", "price": 99})["orderid"]
            kite.set_quote(f"NSE:{SYMBOL}", last_price=98.5, bid=98.45, ask=98.55)
            started = time.perf_counter()
            while post("live", "orderstatus", orderid=orderid, strategy="bench")["data"]["order_status"] != "complete":
                pass
            cross_ms.append((time.perf_counter() - started) * 1000)
            post("live", "closeposition", strategy="bench")
        recorded_ms, tick_fill_ms = tick_rows(app, post, kite, ticker, users["live"], max(20, rounds * 3))
        ticker.close()
    print(f"{'row':<28}{'p50 ms':>10}{'p99 ms':>10}")
    for label, samples in (("floor: Kite quote", quote_ms), ("floor: paper MARKET", paper_ms),
                           ("sandbox MARKET (Kite)", sandbox_ms), ("cross-to-fill (Kite)", cross_ms),
                           ("floor: tick recorded", recorded_ms), ("tick-to-fill (bus)", tick_fill_ms)):
        p50, p99 = percentiles(samples)
        print(f"{label:<28}{p50:>10.1f}{p99:>10.1f}")


if __name__ == "__main__":
    main()
