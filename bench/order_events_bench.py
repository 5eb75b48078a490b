"""Order-event latency: from the paper broker's acknowledgement to the subscribed WebSocket client.

    .venv/bin/python bench/order_events_bench.py            # 50 clients, 200 orders/s, 3 x (4 s floor + 4 s orders)
    .venv/bin/python bench/order_events_bench.py --quick    # a few seconds, for a smoke run

`python app.py` (waitress + the WebSocket proxy, SQLite, or --database-url) serves 50 users, each with an
API key, a paper session and one WebSocket client subscribed to its order updates (`subscribe_orders`),
all clients in one separate process. A driver places MARKET orders over REST at a steady 200/s spread
over the users. Latency = the client's receive time minus the event's `timestamp`, stamped when the
engine's transaction committed and the event was published (both clocks are this machine's; the
stamp has millisecond resolution). The *floor*, measured in the same run: synthetic `order_update`
messages published straight onto the proxy's ZeroMQ bus to the same users (bus → proxy → socket →
client, without the app), alone at the order rate before each round of orders, and at --floor-rate
during it (the same path while the machine also serves the orders). Target: p99 <= 20 ms.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRETS = {"APP_KEY": "bench-app-key-0123456789abcdef0123456789abcdef",
           "API_KEY_PEPPER": "bench-pepper-fedcba9876543210fedcba9876543210"}
SYMBOLS = ("SBIN", "INFY", "TCS", "RELIANCE", "HDFCBANK", "ITC")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] if ordered else float("nan")


# ============================================================================ set-up
def prepare(folder: Path, users: int, database_url: str) -> tuple[dict[str, str], list[tuple[int, str]]]:
    settings = {**SECRETS, "DATABASE_URL": database_url, "LOGS_DATABASE_URL": database_url,
                "FLASK_PORT": str(free_port()), "WEBSOCKET_PROXY_ENABLED": "true", "WEBSOCKET_PORT": str(free_port()),
                "ZMQ_PORT": str(free_port()), "ORDER_RATE_LIMIT": "100000 per second",
                "API_RATE_LIMIT": "100000 per second", "LOG_LEVEL": "WARNING", "LOG_DIR": str(folder / "log")}
    (folder / "bench.env").write_text("".join(f"{k}='{v}'\n" for k, v in settings.items()))
    from app import create_app
    from services import accounts, api_keys, broker_session

    app = create_app({**settings, "ENV_FILE": None, "TESTING": True})
    accounts_made = []
    with app.app_context():
        for i in range(users):
            user = accounts.create_user(f"bench{i:02d}", f"bench{i:02d}@example.com", "bench-password-42", force=True)
            broker_session.connect(user.id, "paper")
            accounts_made.append((user.id, api_keys.issue(user.id, source="bench")))
    return settings, accounts_made


def start_server(folder: Path, settings: dict[str, str]) -> subprocess.Popen:
    env = {**os.environ, "OPENALGO_ENV_FILE": str(folder / "bench.env"), "FLASK_SKIP_DOTENV": "1", "NO_COLOR": "1"}
    for name in ("APP_KEY", "API_KEY_PEPPER", "DATABASE_URL", "FLASK_PORT"):
        env.pop(name, None)
    process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    for port in (settings["FLASK_PORT"], settings["WEBSOCKET_PORT"]):
        while True:
            try:
                socket.create_connection(("127.0.0.1", int(port)), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the server did not start")
                time.sleep(0.2)
    return process


# ============================================================================ clients (own process)
def run_clients(url: str, keys: list[str], ready: mp.Event, stop: mp.Event, results: mp.Queue) -> None:
    import websockets

    latencies: dict[str, list[float]] = {"orders": [], "floor": [], "loaded_floor": [], "warmup": []}
    counts = {"orders": 0, "floor": 0, "loaded_floor": 0, "warmup": 0}

    async def client(key: str) -> None:
        async with websockets.connect(url, max_size=None) as ws:
            await ws.send(json.dumps({"action": "authenticate", "api_key": key}))
            json.loads(await ws.recv())
            await ws.send(json.dumps({"action": "subscribe_orders"}))
            json.loads(await ws.recv())
            ready_count.append(key)
            while not stop.is_set():
                try:
                    raw = await asyncio.wait_for(ws.recv(), 0.5)
                except TimeoutError:
                    continue
                received = time.time() * 1000
                message = json.loads(raw)
                if message.get("type") != "order_update" or message.get("snapshot"):
                    continue
                orderid = str(message["orderid"])
                kind = ("loaded_floor" if orderid.startswith("floor") and int(orderid[5:]) >= 10_000_000
                        else "floor" if orderid.startswith("floor")
                        else "warmup" if message.get("strategy") == "warmup" else "orders")
                latencies[kind].append(received - message["timestamp"])
                counts[kind] += 1

    ready_count: list[str] = []

    async def main() -> None:
        tasks = [asyncio.create_task(client(key)) for key in keys]
        while len(ready_count) < len(keys):
            await asyncio.sleep(0.05)
        ready.set()
        await asyncio.gather(*tasks)

    asyncio.run(main())
    results.put({"latencies": latencies, "counts": counts})


# ============================================================================ load
def place_orders(host: str, accounts: list[tuple[int, str]], rate: int, seconds: float,
                 strategy: str = "bench") -> tuple[int, int]:
    import requests

    local = threading.local()
    total = int(rate * seconds)
    failures = [0]

    def one(i: int) -> None:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        _uid, key = accounts[i % len(accounts)]
        body = {"apikey": key, "strategy": strategy, "symbol": SYMBOLS[i % len(SYMBOLS)], "exchange": "NSE",
                "action": "BUY" if i % 2 else "SELL", "quantity": 1, "pricetype": "MARKET", "product": "MIS"}
        if session.post(f"{host}/api/v1/placeorder", json=body, timeout=30).status_code != 200:
            failures[0] += 1

    start = time.monotonic()
    with ThreadPoolExecutor(32) as pool:
        for i in range(total):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, i)
    return total, failures[0]


def publish_floor(bus_port: int, accounts: list[tuple[int, str]], rate: int, seconds: float, offset: int) -> int:
    import zmq

    from broker.order_updates import topic_for_user

    socket_ = zmq.Context.instance().socket(zmq.PUB)
    socket_.setsockopt(zmq.SNDHWM, 100_000)
    socket_.connect(f"tcp://127.0.0.1:{bus_port}")
    time.sleep(0.5)
    total = int(rate * seconds)
    start = time.monotonic()
    for i in range(total):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        uid, _key = accounts[i % len(accounts)]
        body = {"type": "order_update", "orderid": f"floor{offset + i}", "symbol": "SBIN", "exchange": "NSE",
                "action": "BUY", "quantity": 1, "pricetype": "MARKET", "product": "MIS", "order_status": "complete",
                "filled_quantity": 1, "pending_quantity": 0, "average_price": 100.0, "rejection_reason": "",
                "broker": "paper", "timestamp": int(time.time() * 1000)}
        socket_.send_multipart([topic_for_user(uid).encode(), json.dumps(body).encode()])
    socket_.close(linger=1000)
    return total


# ============================================================================ main
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rate", type=int, default=200, help="orders (and floor events) per second")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each floor / orders round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--floor-rate", type=int, default=50, help="floor events/s published during the orders")
    parser.add_argument("--database-url", default="", help="default: SQLite in a temporary folder")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.clients, args.rate, args.seconds, args.rounds, args.floor_rate = 5, 50, 1.0, 1, 10
    with tempfile.TemporaryDirectory(prefix="order-events-bench-") as tmp:
        folder = Path(tmp)
        settings, accounts = prepare(folder, args.clients, args.database_url or f"sqlite:///{folder}/bench.db")
        server = start_server(folder, settings)
        ready, stop, results = mp.Event(), mp.Event(), mp.Queue()
        clients = mp.Process(target=run_clients, args=(f"ws://127.0.0.1:{settings['WEBSOCKET_PORT']}",
                                                       [key for _, key in accounts], ready, stop, results))
        clients.start()
        try:
            if not ready.wait(60):
                raise RuntimeError("the clients did not subscribe")
            host = f"http://127.0.0.1:{settings['FLASK_PORT']}"
            place_orders(host, accounts, args.rate, min(args.seconds, 1.0), strategy="warmup")   # not reported
            time.sleep(1.0)
            sent = {"orders": 0, "floor": 0, "loaded_floor": 0}
            failed = 0
            for round_ in range(args.rounds):
                sent["floor"] += publish_floor(int(settings["ZMQ_PORT"]), accounts, args.rate, args.seconds,
                                               round_ * 1_000_000)
                floor = ThreadPoolExecutor(1).submit(publish_floor, int(settings["ZMQ_PORT"]), accounts,
                                                     args.floor_rate, args.seconds, (round_ + 1) * 10_000_000)
                total, bad = place_orders(host, accounts, args.rate, args.seconds)
                sent["loaded_floor"] += floor.result()
                sent["orders"] += total
                failed += bad
            time.sleep(2.0)
            stop.set()
            report = results.get(timeout=30)
        finally:
            stop.set()
            clients.join(10)
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(30)
    print(f"order events: {args.clients} subscribed clients (one per user), {args.rate} orders/s, "
          f"{args.rounds} rounds of {args.seconds:g} s, floor and orders alternating")
    print(f"{'path':<34}{'sent':>8}{'received':>10}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for kind, label in (("floor", "floor: bus -> proxy -> client"),
                        ("loaded_floor", "floor, during the orders"),
                        ("orders", "ack -> client (REST, paper)")):
        values = report["latencies"][kind]
        print(f"{label:<34}{sent[kind]:>8}{report['counts'][kind]:>10}{percentile(values, 50):>9.1f}"
              f"{percentile(values, 99):>9.1f}{max(values or [float('nan')]):>9.1f}")
    p99 = percentile(report["latencies"]["orders"], 99)
    print(f"REST orders refused: {failed}; target p99 <= 20 ms: {'met' if p99 <= 20 else 'NOT met'} ({p99:.1f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
