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
        print(f"fake Upstox REST on {server.url} (client_id {CLIENT_ID}, client_secret {CLIENT_SECRET})")
        print(f"market-data feed on {server.feed.url}, portfolio feed on {server.portfolio.url}")
        print(f"instrument master at {server.instruments_url}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
