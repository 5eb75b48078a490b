"""`python -m websocket_proxy`: run the market-data proxy on its own (also how `python app.py` starts it).

Exit codes: 0 stopped, 2 invalid configuration, 3 a port (WebSocket or ZeroMQ bus) is already in use —
never a hang, and never a traceback for those.
"""
from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import os
import signal
import sys

from utils.config import ConfigError, load_settings
from utils.logging import configure_logging, get_logger
from websocket_proxy.bus import BusError
from websocket_proxy.server import ProxyConfig, ProxyServer

EXIT_CONFIG, EXIT_PORT_IN_USE = 2, 3
log = get_logger("websocket_proxy")


async def serve(server: ProxyServer, parent_pid: int | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await server.start()
    try:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except TimeoutError:
                if parent_pid and os.getppid() != parent_pid:   # the app died without stopping us
                    log.warning("Parent process %s is gone; stopping the WebSocket proxy", parent_pid)
                    break
    finally:
        # Already stopping: a second SIGTERM/SIGINT (the app's own stop after a terminal's Ctrl-C) must
        # neither interrupt the shutdown nor hit the event loop's wake-up pipe while it is being closed.
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
            signal.signal(sig, signal.SIG_IGN)
        await server.stop()
        log.info("WebSocket proxy stopped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m websocket_proxy", description=__doc__.splitlines()[0])
    parser.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc.render(), file=sys.stderr, flush=True)
        return EXIT_CONFIG
    configure_logging(settings)
    logging.getLogger("websockets").setLevel(logging.WARNING)   # one INFO line per connection is noise
    from websocket_proxy.wiring import ProductionWiring

    wiring = ProductionWiring(settings)
    wiring.app()   # build the app (database engine) now, not during the first client's authentication
    server = ProxyServer(ProxyConfig.from_settings(settings), wiring.authenticate, wiring.adapter_factory,
                         wiring.lookup_symbol, wiring.brokers, order_snapshot=wiring.order_snapshot,
                         order_feed_factory=wiring.order_feed_factory, session_rejected=wiring.session_rejected,
                         recheck_principal=wiring.recheck_principal, sandbox_watch=wiring.sandbox_watch)
    try:
        asyncio.run(serve(server, args.parent_pid))
    except BusError as exc:
        log.error("WebSocket proxy not started: %s", exc)
        return EXIT_PORT_IN_USE
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        log.error("WebSocket proxy not started: cannot listen on %s:%s, the port is in use (another proxy "
                  "running? set WEBSOCKET_PORT)", settings.WEBSOCKET_HOST, settings.WEBSOCKET_PORT)
        return EXIT_PORT_IN_USE
    finally:
        wiring.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
