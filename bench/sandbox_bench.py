"""Analyzer mode on the live market (issue 23): a sandbox MARKET order filled at the live broker's quote,
and a resting LIMIT's fill after the live price crosses it, against floors measured in the same run.

In-process app (Flask test client) on a temporary SQLite file; Zerodha through the fake Kite server
(tests/fakes/kite_server.py). Rows:
  floor: Kite quote      one `plugin.data.quote` call through the Zerodha plugin (the live source's cost)
  floor: paper MARKET    the same REST placeorder on the simulated market (analyzer, market=simulated)
  sandbox MARKET         REST placeorder in analyzer mode on the Kite market
  cross-to-fill          the fake's price crosses a resting LIMIT → an orderstatus call returns it filled
Every live-market read spends Kite's quote budget (1 call/s, enforced by the plugin's rate limiter), so
the sandbox rows are bounded by it; the floors show what the engine adds on top.

    .venv/bin/python bench/sandbox_bench.py [--orders N]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from argon2 import PasswordHasher  # noqa: E402

from app import create_app  # noqa: E402
from services import accounts, api_keys, broker_session, master_contract  # noqa: E402
from services.instrument_cache import cache_for  # noqa: E402
from tests.fakes.kite_server import API_KEY, API_SECRET, REQUEST_TOKEN, KiteServer  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=10)
    rounds = parser.parse_args().orders
    folder = Path(tempfile.mkdtemp())
    with KiteServer() as kite:
        app = create_app({**SECRETS, "ENV_FILE": None, "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite'}",
                          "LOGS_DATABASE_URL": f"sqlite:///{folder / 'logs.db'}", "LOG_LEVEL": "WARNING",
                          "LOG_DIR": str(folder / "log"), "WEBSOCKET_PROXY_ENABLED": "false",
                          "VALID_BROKERS": "zerodha,paper", "BROKER_API_KEY": API_KEY,
                          "BROKER_API_SECRET": API_SECRET, "ZERODHA_API_URL": kite.url,
                          "REDIRECT_URL": "http://127.0.0.1:5000/zerodha/callback",
                          "ORDER_RATE_LIMIT": "10000 per second", "API_RATE_LIMIT": "10000 per second",
                          "PASSWORD_HASHER": PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)})
        client = app.test_client()
        keys = {}
        with app.app_context():
            for name in ("live", "simulated"):
                user = accounts.create_user(name, f"{name}@example.com", "bench-pass-1", force=True)
                keys[name] = api_keys.issue(user.id, source="bench")
                broker_session.connect(user.id, "zerodha", {"request_token": REQUEST_TOKEN, "status": "success"})
            live = broker_session.live_session(user.id)
            master_contract.download("zerodha", live.plugin, session=live.session, force=True)
            instrument = cache_for("zerodha").by_symbol(SYMBOL, "NSE")

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
    print(f"{'row':<28}{'p50 ms':>10}{'p99 ms':>10}")
    for label, samples in (("floor: Kite quote", quote_ms), ("floor: paper MARKET", paper_ms),
                           ("sandbox MARKET (Kite)", sandbox_ms), ("cross-to-fill (Kite)", cross_ms)):
        p50, p99 = percentiles(samples)
        print(f"{label:<28}{p50:>10.1f}{p99:>10.1f}")


if __name__ == "__main__":
    main()
