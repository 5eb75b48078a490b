"""Fan-out benchmark of the market-data proxy against a floor measured in the same run.

    .venv/bin/python bench/ws_bench.py            # every scenario, twice each, about 2 minutes
    .venv/bin/python bench/ws_bench.py --quick    # tiny smoke run (used by the test suite)

Synthetic ticks (complete `market_data` frames carrying a sequence number and the publish time) are
published on ZeroMQ at a set rate. Each scenario runs twice, against two servers in their own process:
the real proxy (`websocket_proxy.server.ProxyServer`, API keys checked by keyed digest on its thread pool
like production) and the *floor*: a minimal asyncio `websockets` server that SUBscribes to the same bus,
keeps a dict topic → connections and calls `websockets.broadcast`. Clients run in two other processes
and report delivered messages/s, loss and publish-to-receive latency; the server's CPU time comes from
/proc. Extra proxy-only rows: an authentication storm (50 clients at once, half with wrong keys) and a
client that stops reading, both during the 50 × 20 @ 1,000/s load.
"""
from __future__ import annotations

import argparse
import array
import asyncio
import json
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PEPPER = "bench-pepper-0123456789abcdef0123456789abcdef"
BROKER = "bench"


def key_of(i: int) -> str:
    return f"bench-key-{i:05d}-0123456789abcdef"


def topic(symbol: str) -> bytes:
    return f"{BROKER}_NSE_{symbol}_LTP".encode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ============================================================================ servers
async def serve_floor(port: int, bus: int) -> None:
    import zmq
    import zmq.asyncio
    from websockets.asyncio.server import broadcast, serve
    from websockets.exceptions import ConnectionClosed

    topics: dict[bytes, set] = {}

    async def handler(ws):
        mine = []
        try:
            async for raw in ws:
                msg = json.loads(raw)
                if msg.get("action") == "authenticate":
                    await ws.send('{"type":"auth","status":"success"}')
                elif msg.get("action") == "subscribe":
                    for item in msg.get("symbols") or [msg]:
                        t = topic(item["symbol"])
                        topics.setdefault(t, set()).add(ws)
                        mine.append(t)
                    await ws.send('{"type":"subscribe","status":"success"}')
        except ConnectionClosed:
            pass
        finally:
            for t in mine:
                topics.get(t, set()).discard(ws)

    sub = zmq.asyncio.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.RCVHWM, 20_000)
    sub.bind(f"tcp://127.0.0.1:{bus}")
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    async with serve(handler, "127.0.0.1", port):
        while True:
            t, payload = await sub.recv_multipart()
            conns = topics.get(t)
            if conns:
                broadcast(conns, payload, text=True)


async def serve_proxy(port: int, bus: int) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from broker.streaming import FeedAdapter
    from utils.crypto import keyed_digest
    from websocket_proxy.server import ProxyConfig, ProxyServer
    from websocket_proxy.upstream import Principal

    class ExternalFeed(FeedAdapter):
        """Ticks come from the benchmark's publisher on the bus, not from an upstream of ours."""
        broker = BROKER

        def subscribe(self, instrument, mode, depth=5):
            pass

        def unsubscribe(self, instrument, mode):
            pass

        async def open_upstream(self): ...
        async def read_upstream(self, conn): ...
        async def send_subscribe(self, conn, subs): ...
        async def send_unsubscribe(self, conn, subs): ...
        def decode(self, frame): return ()

    users = {keyed_digest(PEPPER, key_of(i)): Principal(i % 20, f"user{i % 20}", BROKER) for i in range(2000)}
    executor = ThreadPoolExecutor(4)

    def verify(key: str):
        time.sleep(0.002)   # an indexed database look-up
        return users.get(keyed_digest(PEPPER, key))

    async def authenticate(key: str):
        return await asyncio.get_running_loop().run_in_executor(executor, verify, key)

    server = ProxyServer(ProxyConfig(port=port, bus_port=bus), authenticate,
                         lambda principal, publisher: ExternalFeed(publisher))
    await server.start()
    await asyncio.Event().wait()


def server_main(kind: str, port: int, bus: int) -> None:
    import logging
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("asyncio").setLevel(logging.ERROR)   # the floor writes to closed sockets at the end
    asyncio.run(serve_proxy(port, bus) if kind == "proxy" else serve_floor(port, bus))


# ============================================================================ clients
def parse(message: bytes) -> tuple[int, int]:
    j = message.rfind(b'"seq":')
    k = message.index(b",", j)
    return int(message[j + 6:k]), int(message[k + 8:-2])


class BenchClient(asyncio.Protocol):
    """A lean feed client on websockets' Sans-I/O protocol (no task or future per message), so the client
    processes cost as little CPU as possible and the server stays the thing measured."""

    def __init__(self, url: str, api_key: str, symbols: list[str]):
        from websockets.client import ClientProtocol
        from websockets.uri import parse_uri

        self.ws = ClientProtocol(parse_uri(url), max_size=2 ** 20)
        self.api_key, self.symbols = api_key, symbols
        self.ready = asyncio.get_running_loop().create_future()
        self.seqs, self.lats = array.array("q"), array.array("q")

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        self.ws.send_request(self.ws.connect())
        self._flush()

    def _flush(self) -> None:
        for data in self.ws.data_to_send():
            if data:
                self.transport.write(data)

    def _send(self, message: dict) -> None:
        self.ws.send_text(json.dumps(message).encode())
        self._flush()

    def data_received(self, data: bytes) -> None:
        from websockets.frames import Frame, Opcode

        self.ws.receive_data(data)
        now = time.time_ns()
        for event in self.ws.events_received():
            if not isinstance(event, Frame):   # the handshake response
                self._send({"action": "authenticate", "api_key": self.api_key})
            elif event.opcode is Opcode.TEXT:
                message = event.data
                if message.startswith(b'{"type":"market_data"'):
                    seq, sent = parse(message)
                    self.seqs.append(seq)
                    self.lats.append(now - sent)
                elif b'"type":"auth"' in message:
                    self._send({"action": "subscribe", "mode": 1,
                                "symbols": [{"symbol": s, "exchange": "NSE"} for s in self.symbols]})
                elif b'"type":"subscribe"' in message and not self.ready.done():
                    self.ready.set_result(None)
        self._flush()   # pongs


async def run_clients(url: str, specs: list[tuple[int, list[str]]], pipe) -> None:
    loop = asyncio.get_running_loop()
    port = int(url.rsplit(":", 1)[1])
    clients = []
    for key_index, symbols in specs:
        _, client = await loop.create_connection(lambda: BenchClient(url, key_of(key_index), symbols), "127.0.0.1", port)
        clients.append(client)
    await asyncio.wait_for(asyncio.gather(*(c.ready for c in clients)), 30)
    pipe.send("ready")
    s0, s1 = await loop.run_in_executor(None, pipe.recv)
    results = []
    for client in clients:
        client.transport.abort()
        inside = [t for q, t in zip(client.seqs, client.lats) if s0 <= q < s1]
        results.append((len(inside), inside[:: max(1, len(inside) // 20000)]))
    pipe.send(results)


def clients_main(url: str, specs: list[tuple[int, list[str]]], pipe) -> None:
    asyncio.run(run_clients(url, specs, pipe))


async def auth_storm(url: str, count: int, delay: float, pipe) -> None:
    from websockets.asyncio.client import connect

    await asyncio.sleep(delay)

    async def one(i: int) -> float:
        started = time.perf_counter()
        async with connect(url) as ws:
            key = key_of(1000 + i) if i % 2 == 0 else f"wrong-key-{i}"
            await ws.send(json.dumps({"action": "authenticate", "api_key": key}))
            await ws.recv()
        return time.perf_counter() - started

    took = await asyncio.gather(*(one(i) for i in range(count)))
    pipe.send(max(took))


def storm_main(url: str, count: int, delay: float, pipe) -> None:
    asyncio.run(auth_storm(url, count, delay, pipe))


def _frame(text: str) -> bytes:
    """A masked client text frame (RFC 6455 §5.2)."""
    payload, mask = text.encode(), os.urandom(4)
    size = len(payload)
    header = bytes([0x81, 0x80 | size]) if size < 126 else bytes([0x81, 0xFE]) + size.to_bytes(2, "big")
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def stalled_client(port: int, api_key: str, symbols: list[str], rcvbuf: int = 4096) -> socket.socket:
    """Handshake, authenticate and subscribe by hand, then never read again (a frozen script)."""
    import base64

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)   # before connect: sets the TCP window
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
    if not sock.recv(4096).startswith(b"HTTP/1.1 101"):
        raise RuntimeError("WebSocket handshake failed")
    sock.sendall(_frame(json.dumps({"action": "authenticate", "api_key": api_key})))
    sock.sendall(_frame(json.dumps({"action": "subscribe", "mode": 1,
                                    "symbols": [{"symbol": s, "exchange": "NSE"} for s in symbols]})))
    time.sleep(0.3)
    return sock


# ============================================================================ scenarios
@dataclass
class Scenario:
    name: str
    clients: int
    symbols_per_client: int
    shared: bool
    rate: int            # ticks/s over all symbols; 0 = as fast as possible
    storm: bool = False
    stalled: bool = False


@dataclass
class Result:
    delivered_per_s: float
    loss: float
    p50_ms: float
    p99_ms: float
    cpu_us_per_msg: float
    note: str = ""


def run_scenario(kind: str, sc: Scenario, seconds: float) -> Result:
    import zmq

    port, bus = free_port(), free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", kind, str(port), str(bus)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(f"{kind} server did not start")
                time.sleep(0.05)
        all_symbols = [f"SYM{i:04d}" for i in range(sc.symbols_per_client if sc.shared else sc.clients * sc.symbols_per_client)]
        specs = [(i, all_symbols if sc.shared else all_symbols[i * sc.symbols_per_client:(i + 1) * sc.symbols_per_client])
                 for i in range(sc.clients)]
        ctx = mp.get_context("spawn")
        procs, pipes = [], []
        for part in (specs[0::2], specs[1::2]):
            if not part:
                continue
            mine, theirs = ctx.Pipe()
            proc = ctx.Process(target=clients_main, args=(f"ws://127.0.0.1:{port}", part, theirs), daemon=True)
            proc.start()
            procs.append(proc)
            pipes.append(mine)
        for pipe in pipes:
            if not pipe.poll(30) or pipe.recv() != "ready":
                raise RuntimeError("clients did not get ready")
        stalled = stalled_client(port, key_of(1999), all_symbols[:20]) if sc.stalled else None
        publisher = zmq.Context.instance().socket(zmq.PUB)
        publisher.setsockopt(zmq.SNDHWM, 20_000)
        publisher.connect(f"tcp://127.0.0.1:{bus}")
        time.sleep(0.5)
        storm = None
        if sc.storm:
            mine, theirs = ctx.Pipe()
            storm = (ctx.Process(target=storm_main, args=(f"ws://127.0.0.1:{port}", 50, 1.5, theirs), daemon=True), mine)
            storm[0].start()
        counts = publish(publisher, all_symbols, sc.rate, seconds, server.pid)
        window, per_topic, cpu, elapsed = counts
        time.sleep(1.0)   # let the tail arrive
        for pipe in pipes:
            pipe.send(window)
        received, latencies = 0, []
        expected = 0
        for pipe in pipes:
            for count, lats in pipe.recv():
                received += count
                latencies.extend(lats)
        for _, syms in specs:
            expected += sum(per_topic.get(s, 0) for s in syms)
        note = ""
        if storm:
            note = f"storm: slowest auth {storm[1].recv() * 1000:.0f} ms"
        if stalled:
            note = "1 stalled client"
            stalled.close()
        if kind == "proxy":
            import urllib.request
            stats = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=5))
            drops = ", ".join(f"{k} {v}" for k, v in sorted(stats["drops"].items()) if v and k != "no_subscriber")
            note = "; ".join(filter(None, [note, drops and f"dropped: {drops}"]))
        publisher.close(0)
        for proc in procs:
            proc.join(5)
        latencies.sort()
        pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] / 1e6 if latencies else float("nan")
        return Result(received / elapsed, 1 - received / expected if expected else 0.0, pick(0.5), pick(0.99),
                      cpu / received * 1e6 if received else float("nan"), note)
    finally:
        server.kill()
        server.wait()


def publish(publisher, symbols: list[str], rate: int, seconds: float, server_pid: int):
    """Warm up 0.5 s, measure `seconds`, cool down 0.3 s; returns the measured window of sequence numbers,
    ticks per symbol inside it, the server's CPU seconds and the window's length."""
    topics = [topic(s) for s in symbols]
    heads = [f'{{"type":"market_data","symbol":"{s}","exchange":"NSE","mode":1,"broker":"{BROKER}","data":{{"ltp":'
             for s in symbols]
    seq, n = 0, len(symbols)
    per_topic: dict[str, int] = {}
    phases = [(0.5, False), (seconds, True), (0.3, False)]
    window = [0, 0]
    cpu = elapsed = 0.0
    batch = max(1, rate // 1000) if rate else 200
    for length, measured in phases:
        if measured:
            window[0], cpu_start, started = seq, cpu_seconds(server_pid), time.monotonic()
        start = time.monotonic()
        end = start + length
        sent_in_phase = 0
        while True:
            now = time.monotonic()
            if now >= end:
                break
            if rate and sent_in_phase >= rate * (now - start):
                time.sleep(0.0005)
                continue
            for _ in range(batch):
                i = seq % n
                t = time.time_ns()
                payload = f'{heads[i]}{100 + seq % 997 / 100},"timestamp":{t // 1_000_000},"seq":{seq},"t_ns":{t}}}}}'
                publisher.send_multipart((topics[i], payload.encode()))
                if measured:
                    per_topic[symbols[i]] = per_topic.get(symbols[i], 0) + 1
                seq += 1
                sent_in_phase += 1
        if measured:
            window[1], cpu, elapsed = seq, cpu_seconds(server_pid) - cpu_start, time.monotonic() - started
    return tuple(window), per_topic, cpu, elapsed


SCENARIOS = [
    Scenario("1 client x 1 symbol, max rate", 1, 1, True, 0),
    Scenario("50 clients x 20 shared, 1,000/s", 50, 20, True, 1000),
    Scenario("50 clients x 20 shared, 5,000/s", 50, 20, True, 5000),
    Scenario("200 clients x 5 distinct, 1,000/s", 200, 5, False, 1000),
]
EXTRAS = [
    Scenario("50 x 20 @1,000/s + auth storm", 50, 20, True, 1000, storm=True),
    Scenario("50 x 20 @1,000/s + 1 stalled", 50, 20, True, 1000, stalled=True),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny parameters (smoke test)")
    parser.add_argument("--seconds", type=float, default=3.0, help="measured seconds per run")
    parser.add_argument("--repeat", type=int, default=2, help="runs per scenario and server; the best counts")
    parser.add_argument("--serve", nargs=3, metavar=("KIND", "PORT", "BUS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        server_main(args.serve[0], int(args.serve[1]), int(args.serve[2]))
        return 0
    scenarios, extras, seconds = SCENARIOS, EXTRAS, args.seconds
    if args.quick:
        scenarios = [Scenario("2 clients x 2 shared, 200/s", 2, 2, True, 200)]
        extras, seconds, args.repeat = [], 1.0, 1
    header = (f"{'scenario':38} {'server':6} {'msg/s':>9} {'vs floor':>8} {'loss':>7} {'p50 ms':>7} "
              f"{'p99 ms':>7} {'CPU us/msg':>10} {'CPU vs floor':>12}  note")
    print(header)
    print("-" * len(header))
    def best(runs: list[Result]) -> Result:
        # the better run counts: other jobs on the machine add noise, never speed
        return min(runs, key=lambda r: (-round(r.delivered_per_s, -2), r.p99_ms))

    for sc in scenarios:
        runs: dict[str, list[Result]] = {"floor": [], "proxy": []}
        for _ in range(args.repeat):   # alternate, so both servers see the same conditions
            for kind in runs:
                runs[kind].append(run_scenario(kind, sc, seconds))
        floor, proxy = best(runs["floor"]), best(runs["proxy"])
        for kind, r in (("floor", floor), ("proxy", proxy)):
            ratio = r.delivered_per_s / floor.delivered_per_s if floor.delivered_per_s else float("nan")
            cpu_ratio = r.cpu_us_per_msg / floor.cpu_us_per_msg if floor.cpu_us_per_msg else float("nan")
            print(f"{sc.name:38} {kind:6} {r.delivered_per_s:9.0f} {ratio:8.2f} {r.loss:7.2%} {r.p50_ms:7.2f} "
                  f"{r.p99_ms:7.2f} {r.cpu_us_per_msg:10.2f} {cpu_ratio:12.2f}  {r.note}", flush=True)
    for sc in extras:
        r = best([run_scenario("proxy", sc, seconds) for _ in range(args.repeat)])
        print(f"{sc.name:38} {'proxy':6} {r.delivered_per_s:9.0f} {'':8} {r.loss:7.2%} {r.p50_ms:7.2f} "
              f"{r.p99_ms:7.2f} {r.cpu_us_per_msg:10.2f} {'':12}  {r.note}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
