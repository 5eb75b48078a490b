"""`python -m tests.fakes.noren --port N`: the fake Noren REST API on N (Shoonya's OAuth API under
/NorenWClientAPI/ with its login page at /OAuthlogin/authorize/oauth, the QuickAuth API the SDK speaks
under /NorenWClientTP/, Flattrade's under /PiConnectTP/, Flattrade's token exchange at /trade/apitoken, the
symbol files at /<EXCH>_symbols.txt.zip and /scripmaster/*.csv) and its WebSocket on N+1, until Ctrl-C."""
from __future__ import annotations

import argparse
import threading

from tests.fakes.noren.feed import NorenFeedServer
from tests.fakes.noren.server import (API_SECRET, CLIENT_ID, FLATTRADE_API_KEY, FLATTRADE_API_SECRET, PASSWORD,
                                      TOTP, USER_ID, VENDOR_CODE, NorenServer)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8950, help="REST port; the WebSocket takes the next one")
    args = parser.parse_args()
    rest = NorenServer(port=args.port)
    feed = NorenFeedServer(rest, port=args.port + 1)
    rest.start()
    print(f"Noren REST   {rest.api_url}  (Flattrade: {rest.url}/PiConnectTP/)\n"
          f"WebSocket    {feed.url}\n"
          f"Shoonya OAuth: client id {CLIENT_ID}, secret code {API_SECRET}, login page "
          f"{rest.url}/OAuthlogin/authorize/oauth, API {rest.url}/NorenWClientAPI\n"
          f"SDK (QuickAuth): user {USER_ID}, password {PASSWORD}, TOTP {TOTP}, vendor code {VENDOR_CODE}, "
          f"API secret {API_SECRET}\n"
          f"Flattrade: API key {FLATTRADE_API_KEY}, secret {FLATTRADE_API_SECRET}, login page {rest.url}/auth/",
          flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        feed.close()
        rest.stop()


if __name__ == "__main__":
    main()
