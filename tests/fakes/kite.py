"""The fake Zerodha Kite on its own: the REST server (tests/fakes/kite_server.py) and the ticker WebSocket
(tests/fakes/kite_ticker.py) in one process, for trying a client or the app against Kite without
Zerodha. From the project root:

    .venv/bin/python -m tests.fakes.kite --port 8500 --ticker-port 8501

then point a client at it, e.g. `KiteConnect(api_key="kiteapikey", root="http://127.0.0.1:8500")` with
`generate_session("requesttoken123", api_secret="kitesecret")`, and `KiteTicker(..., root="ws://127.0.0.1:8501")`;
or the app with ZERODHA_API_URL / ZERODHA_TICKER_URL and the same key and secret. Stops on Ctrl-C or
SIGTERM. It prints one line, `fake kite: REST <url> ticker <url>`, once both listen.
"""
from __future__ import annotations

import argparse
import signal
import threading

from tests.fakes.kite_server import API_KEY, API_SECRET, REQUEST_TOKEN, KiteServer
from tests.fakes.kite_ticker import KiteTickerServer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.kite", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="REST port (default: a free one)")
    parser.add_argument("--ticker-port", type=int, default=0, help="ticker WebSocket port (default: a free one)")
    parser.add_argument("--access-token", default="kiteaccesstoken", help="the token a login returns")
    args = parser.parse_args(argv)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    ticker = KiteTickerServer(access_token=args.access_token, interval=0.5, port=args.ticker_port)
    try:
        with KiteServer(access_token=args.access_token, port=args.port) as rest:
            print(f"fake kite: REST {rest.url} ticker {ticker.url} (api_key {API_KEY}, api_secret {API_SECRET}, "
                  f"request_token {REQUEST_TOKEN})", flush=True)
            try:
                stop.wait()
            except KeyboardInterrupt:
                pass
    finally:
        ticker.close()


if __name__ == "__main__":
    main()
