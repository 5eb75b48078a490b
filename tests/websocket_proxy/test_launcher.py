"""The proxy as operators run it: supervised by `python app.py`, standalone, and never hanging on a busy
port or a second instance."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.foundation.test_server import _env_file, _start, _stop
from tests.support.net import free_port, wait_for_http
from tests.websocket_proxy.conftest import wait_until
from utils.net import port_open

pytestmark = pytest.mark.xdist_group("servers")


def _proxy_pid(ws_port: int) -> int | None:
    try:
        return requests.get(f"http://127.0.0.1:{ws_port}/stats", timeout=2).json()["pid"]
    except (requests.RequestException, ValueError, KeyError):
        return None


def test_app_supervises_the_proxy_restarts_it_and_stops_it(tmp_path: Path):
    port, ws_port = free_port(), free_port()
    env = _env_file(tmp_path, port, WEBSOCKET_PORT=str(ws_port), ZMQ_PORT=str(free_port()))
    env.write_text(env.read_text().replace("WEBSOCKET_PROXY_ENABLED=false", "WEBSOCKET_PROXY_ENABLED=true"))
    app = _start([sys.executable, "app.py"], env)
    failure: AssertionError | None = None
    try:
        assert wait_for_http(f"http://127.0.0.1:{port}/health", process=app).json()["websocket_proxy"]["status"] in ("up", "down")
        assert wait_until(lambda: _proxy_pid(ws_port) is not None, 30), "proxy did not come up"
        first = _proxy_pid(ws_port)
        os.kill(first, signal.SIGKILL)
        assert wait_until(lambda: _proxy_pid(ws_port) not in (None, first), 20), "proxy was not restarted"
        second = _proxy_pid(ws_port)
        os.kill(app.pid, signal.SIGTERM)   # the app alone, not its process group: it must stop the proxy
        app.wait(20)
        assert wait_until(lambda: not port_open("127.0.0.1", ws_port), 10)
        with pytest.raises(ProcessLookupError):
            os.kill(second, 0)
    except AssertionError as exc:
        failure = exc
    finally:
        output = _stop(app)
    if failure is not None:   # what the app and its proxy printed is what explains it
        raise AssertionError(f"{failure}\n--- app output ---\n{output}") from failure
    assert "restarting" in output and "Traceback" not in output


def _standalone(tmp_path: Path, ws_port: int, zmq_port: int) -> subprocess.Popen:
    env = _env_file(tmp_path, free_port(), WEBSOCKET_PORT=str(ws_port), ZMQ_PORT=str(zmq_port))
    return _start([sys.executable, "-m", "websocket_proxy"], env)


def test_busy_websocket_port_is_a_clear_error(tmp_path: Path):
    busy = socket.create_server(("127.0.0.1", 0))
    try:
        process = _standalone(tmp_path, busy.getsockname()[1], free_port())
        output = process.communicate(timeout=30)[0]
    finally:
        busy.close()
    assert process.returncode == 3, output
    assert "port is in use" in output and "Traceback" not in output


def test_second_proxy_instance_exits_clearly(tmp_path: Path):
    zmq_port = free_port()
    first = _standalone(tmp_path, free_port(), zmq_port)
    try:
        assert wait_until(lambda: port_open("127.0.0.1", zmq_port), 20)
        second = _standalone(tmp_path, free_port(), zmq_port)
        output = second.communicate(timeout=30)[0]
        assert second.returncode == 3, output
        assert "ZeroMQ tick bus" in output and "another proxy" in output and "Traceback" not in output
        assert first.poll() is None
    finally:
        _stop(first)


def test_two_proxies_share_one_bus_through_the_forwarder(tmp_path: Path, make_proxy, fake_broker):
    import json

    import zmq

    from broker.ticks import LTP, FeedTick, encode, market_data, topic_for
    from tests.websocket_proxy.test_protocol import authed

    fake_broker.frozen = True
    bus_port, xpub_port = free_port(), free_port()
    env = _env_file(tmp_path, free_port(), ZMQ_PORT=str(bus_port), ZMQ_FORWARDER_PORT=str(xpub_port))
    forwarder = _start([sys.executable, "-m", "websocket_proxy.forwarder"], env)
    publisher = zmq.Context.instance().socket(zmq.PUB)
    try:
        assert wait_until(lambda: port_open("127.0.0.1", xpub_port), 20)
        proxies = [make_proxy(bus_port=bus_port, forwarder_port=xpub_port) for _ in range(2)]
        clients = [authed(p) for p in proxies]
        for client in clients:
            client.ask({"action": "subscribe", "symbol": "TCS", "exchange": "NSE", "mode": 1}, "subscribe")
        publisher.connect(f"tcp://127.0.0.1:{bus_port}")
        payload = encode(market_data(FeedTick("NSE", "TCS", 4321.5), LTP, "fakebroker"))
        topic = topic_for("fakebroker", "NSE", "TCS", LTP).encode()
        for client in clients:
            def got() -> bool:
                publisher.send_multipart([topic, payload])
                try:
                    return client.recv(0.2)["data"]["ltp"] == 4321.5
                except (TimeoutError, KeyError, json.JSONDecodeError):
                    return False
            assert wait_until(got, 5)
    finally:
        publisher.close(0)
        output = _stop(forwarder)
    assert "Traceback" not in output
