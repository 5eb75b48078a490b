"""The loop shared by the example strategies: candles from `history`, the forming bar from the live
LTP feed, a signal function deciding the target position, and `placesmartorder` when it changes.

Settings come from the environment (what a hosted strategy gets from the server) or the command line:
OPENALGO_API_KEY, OPENALGO_HOST (default http://127.0.0.1:5000) and WEBSOCKET_URL (optional; without
it the example runs on candles alone).
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from datetime import date, timedelta
from typing import Callable

import pandas as pd
from openalgo import api

Signal = Callable[[pd.DataFrame], int]   # candles → +1 long, -1 short, 0 flat


def arguments(description: str, extra: list[tuple[str, type, object, str]] = ()) -> argparse.Namespace:
    """The common options plus the strategy's own (`extra`: flag, type, default, help)."""
    parser = argparse.ArgumentParser(description=description)
    for flag, kind, default, text in extra:
        parser.add_argument(flag, type=kind, default=default, help=text)
    parser.add_argument("--symbol", default="SBIN")
    parser.add_argument("--exchange", default="NSE")
    parser.add_argument("--product", default="MIS")
    parser.add_argument("--quantity", type=int, default=1)
    parser.add_argument("--interval", default="1m", help="candle interval, e.g. 1m, 5m, 15m")
    parser.add_argument("--days", type=int, default=5, help="days of history to compute the indicators on")
    parser.add_argument("--every", type=float, default=5.0, help="seconds between evaluations")
    parser.add_argument("--mode", choices=("long", "both"), default="long",
                        help="long: flat on a sell signal; both: go short on it")
    parser.add_argument("--run-for", type=float, default=0, help="stop after this many seconds (0: until stopped)")
    return parser.parse_args()


def client_from_env() -> api:
    key = os.environ.get("OPENALGO_API_KEY")
    if not key:
        sys.exit("Set OPENALGO_API_KEY (the key from the server's API key page).")
    host = os.environ.get("OPENALGO_HOST", "http://127.0.0.1:5000")
    return api(api_key=key, host=host, ws_url=os.environ.get("WEBSOCKET_URL") or None)


class LiveLtp:
    """The latest traded price from the feed, when a WebSocket URL is configured."""

    def __init__(self, client: api, exchange: str, symbol: str):
        self.price: float | None = None
        self._lock = threading.Lock()
        if os.environ.get("WEBSOCKET_URL"):
            threading.Thread(target=self._subscribe, args=(client, exchange, symbol), daemon=True).start()

    def _subscribe(self, client: api, exchange: str, symbol: str, attempts: int = 30) -> None:
        """Connect in the background (the feed may still be starting); candles work meanwhile."""
        for _ in range(attempts):
            try:
                if client.connect():
                    client.subscribe_ltp([{"exchange": exchange, "symbol": symbol}], on_data_received=self._on_tick)
                    return
            except Exception as exc:  # noqa: BLE001 — the feed is optional
                print(f"feed not available yet ({exc})", flush=True)
            time.sleep(2)

    def _on_tick(self, message: dict) -> None:
        with self._lock:
            self.price = float(message.get("data", {}).get("ltp") or 0) or self.price


def candles(client: api, args: argparse.Namespace, live: LiveLtp) -> pd.DataFrame:
    today = date.today()
    frame = client.history(symbol=args.symbol, exchange=args.exchange, interval=args.interval,
                           start_date=str(today - timedelta(days=args.days)), end_date=str(today))
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        raise RuntimeError(f"no history: {frame}")
    if live.price:  # the forming bar closes at the live price
        frame.iloc[-1, frame.columns.get_loc("close")] = live.price
    return frame


def run(name: str, decide: Signal, args: argparse.Namespace) -> None:
    """Evaluate every `args.every` seconds; send a smart order when the target position changes."""
    client = client_from_env()
    live = LiveLtp(client, args.exchange, args.symbol)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    started, target = time.monotonic(), None
    print(f"{name}: {args.exchange}:{args.symbol} {args.interval}, quantity {args.quantity}, mode {args.mode}",
          flush=True)
    while not stop.is_set():
        try:
            frame = candles(client, args, live)
            direction = decide(frame)
            wanted = direction * args.quantity if args.mode == "both" else max(direction, 0) * args.quantity
            source = "live" if live.price else "candle"
            print(f"close {frame['close'].iloc[-1]:.2f} ({source}) signal {direction:+d} target {wanted}", flush=True)
            if wanted != target:
                answer = client.placesmartorder(strategy=name, symbol=args.symbol, exchange=args.exchange,
                                                action="BUY" if wanted >= (target or 0) else "SELL",
                                                price_type="MARKET", product=args.product,
                                                quantity=args.quantity if wanted else 0, position_size=wanted)
                print(f"placesmartorder position_size={wanted}: {answer}", flush=True)
                if answer.get("status") == "success":
                    target = wanted
        except Exception as exc:  # noqa: BLE001 — a failed round is logged and retried
            print(f"error: {exc}", flush=True)
        if args.run_for and time.monotonic() - started >= args.run_for:
            break
        stop.wait(args.every)
    print(f"{name}: stopped", flush=True)
    os._exit(0)  # the feed client's threads must not keep the process alive
