"""`python -m tests.fakes.dhan --port N`: the fake Dhan REST API on N, the market feed on N+1 and the
order-update stream on N+2, until Ctrl-C. Point the plugin at them with DHAN_API_URL=http://127.0.0.1:N/v2,
DHAN_FEED_URL=ws://127.0.0.1:N+1, DHAN_ORDER_UPDATE_URL=ws://127.0.0.1:N+2 and
DHAN_SCRIP_MASTER_URL=http://127.0.0.1:N/api-data/api-scrip-master.csv; log in with client id 1000000003
and access token dhan-access-token-1."""
from __future__ import annotations

import argparse
import threading

from tests.fakes.dhan.feed import DhanFeedServer
from tests.fakes.dhan.order_updates import OrderUpdateServer
from tests.fakes.dhan.server import ACCESS_TOKEN, CLIENT_ID, DhanServer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8800, help="REST port; the feeds take the next two")
    args = parser.parse_args()
    rest = DhanServer(port=args.port)
    feed, updates = DhanFeedServer(port=args.port + 1), OrderUpdateServer(port=args.port + 2)
    rest.order_updates = updates
    rest.start()
    print(f"Dhan REST     {rest.url}\nscrip master  {rest.scrip_master_url}\n"
          f"market feed   {feed.url}\norder updates {updates.url}\n"
          f"client id {CLIENT_ID}, access token {ACCESS_TOKEN}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        rest.stop()
        feed.close()
        updates.close()


if __name__ == "__main__":
    main()
