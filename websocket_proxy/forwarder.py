"""`python -m websocket_proxy.forwarder`: the shared ZeroMQ bus for several adapters and several proxies.

Adapters connect their PUB sockets to ZMQ_HOST:ZMQ_PORT (the forwarder's XSUB side); every proxy started
with ZMQ_FORWARDER_PORT set connects its SUB socket to ZMQ_HOST:ZMQ_FORWARDER_PORT (the XPUB side).
Subscriptions travel back from proxies to publishers, so each tick is sent only where some client wants
it. Bind address: ZMQ_HOST (use 0.0.0.0 on the forwarder's machine, its address elsewhere).
"""
from __future__ import annotations

import sys

import zmq

from utils.config import ConfigError, load_settings
from utils.logging import configure_logging, get_logger

log = get_logger("websocket_proxy.forwarder")


def main() -> int:
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc.render(), file=sys.stderr, flush=True)
        return 2
    configure_logging(settings)
    if not settings.ZMQ_FORWARDER_PORT:
        log.error("Set ZMQ_FORWARDER_PORT (the port proxies subscribe on) to run the forwarder")
        return 2
    context = zmq.Context.instance()
    frontend, backend = context.socket(zmq.XSUB), context.socket(zmq.XPUB)
    try:
        frontend.bind(f"tcp://{settings.ZMQ_HOST}:{settings.ZMQ_PORT}")
        backend.bind(f"tcp://{settings.ZMQ_HOST}:{settings.ZMQ_FORWARDER_PORT}")
    except zmq.ZMQError as exc:
        log.error("Forwarder not started: %s (is another forwarder or proxy using the port?)", exc.strerror)
        return 3
    log.info("Tick bus forwarder: adapters → tcp://%s:%s, proxies ← tcp://%s:%s", settings.ZMQ_HOST,
             settings.ZMQ_PORT, settings.ZMQ_HOST, settings.ZMQ_FORWARDER_PORT)
    try:
        zmq.proxy(frontend, backend)
    except KeyboardInterrupt:
        pass
    finally:
        frontend.close(0)
        backend.close(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
