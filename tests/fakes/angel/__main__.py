"""`python -m tests.fakes.angel --port N`: the fake Angel One REST server on N, SmartStream on N+1 and the
order-status WebSocket on N+2, with the account printed for logging in (client code, PIN, TOTP secret)."""
from __future__ import annotations

import argparse
import threading

from tests.fakes.angel import API_KEY, CLIENT_CODE, PIN, TOTP_SECRET, AngelServer, OrderStatusServer, SmartStreamServer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8765, help="REST port; the WebSockets take the next two")
    args = parser.parse_args()
    rest = AngelServer(port=args.port)
    stream = SmartStreamServer(rest, port=args.port + 1, interval=1.0)
    orders = OrderStatusServer(rest, port=args.port + 2)
    with rest:
        print(f"ANGEL_API_URL={rest.url}\nANGEL_MASTER_URL={rest.master_url}\nANGEL_WS_URL={stream.url}\n"
              f"ANGEL_ORDER_WS_URL={orders.url}\nANGEL_API_KEY={API_KEY}\n"
              f"login: client code {CLIENT_CODE}, PIN {PIN}, TOTP secret {TOTP_SECRET}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            stream.close()
            orders.close()


if __name__ == "__main__":
    main()
