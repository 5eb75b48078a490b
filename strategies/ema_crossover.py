"""EMA crossover: long while the fast EMA of the close is above the slow one, flat (or short) below.

Run it against a server (the paper broker is fine) with one command:

    OPENALGO_API_KEY=<your key> .venv/bin/python strategies/ema_crossover.py --symbol SBIN --quantity 1

Options: --fast/--slow EMA lengths, --interval (1m), --mode long|both, --every seconds between
evaluations, --run-for seconds (0 runs until Ctrl-C). OPENALGO_HOST defaults to http://127.0.0.1:5000;
set WEBSOCKET_URL (e.g. ws://127.0.0.1:8765) to close the forming bar at the live price. Uploaded as a
hosted Python strategy it needs no settings: the server provides them.
"""
from __future__ import annotations

import os
import sys

import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runner import arguments, run  # noqa: E402  (runs as a script, hosted or from the command line)


def crossover_signal(close: pd.Series, fast: int, slow: int) -> int:
    fast_ema = close.ewm(span=fast, adjust=False).mean()
    slow_ema = close.ewm(span=slow, adjust=False).mean()
    return 1 if fast_ema.iloc[-1] > slow_ema.iloc[-1] else -1


def main() -> None:
    args = arguments("EMA crossover strategy on the OpenAlgo API",
                     [("--fast", int, 9, "fast EMA length"), ("--slow", int, 21, "slow EMA length")])
    run("EMA Crossover", lambda frame: crossover_signal(frame["close"], args.fast, args.slow), args)


if __name__ == "__main__":
    main()
