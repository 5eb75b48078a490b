"""Run the fake Upstox on its own: `python -m tests.fakes.upstox --port 8750` (Ctrl-C stops it)."""
from __future__ import annotations

import argparse
import threading

from tests.fakes.upstox import CLIENT_ID, CLIENT_SECRET, UpstoxServer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8750, help="REST port; the feeds take the next two")
    parser.add_argument("--access-token", default="upstox-access-token")
    args = parser.parse_args()
    with UpstoxServer(args.access_token, port=args.port) as server:
        print(f"fake Upstox REST on {server.url}; market-data feed on {server.feed.url}; portfolio feed on "
              f"{server.portfolio.url}. Settings that point the plugin at it (.env):")
        print(f"UPSTOX_API_KEY='{CLIENT_ID}'\nUPSTOX_API_SECRET='{CLIENT_SECRET}'\n"
              f"UPSTOX_API_URL='{server.url}'\nUPSTOX_ORDER_URL='{server.url}'\n"
              f"UPSTOX_INSTRUMENTS_URL='{server.instruments_url}'", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
