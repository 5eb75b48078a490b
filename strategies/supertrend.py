"""Supertrend: long while the close is above the Supertrend line, flat (or short) below it.

Run it against a server (the paper broker is fine) with one command:

    OPENALGO_API_KEY=<your key> .venv/bin/python strategies/supertrend.py --symbol SBIN --quantity 1

Options: --period ATR length (10), --multiplier band width in ATRs (3), --interval (1m), --mode
long|both, --every, --run-for (0 runs until Ctrl-C). OPENALGO_HOST defaults to http://127.0.0.1:5000;
WEBSOCKET_URL adds the live price. Uploaded as a hosted Python strategy it needs no settings.
"""
from __future__ import annotations

import os
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runner import arguments, run  # noqa: E402  (runs as a script, hosted or from the command line)


def supertrend_direction(frame: pd.DataFrame, period: int, multiplier: float) -> np.ndarray:
    """+1 where the trend is up, -1 where it is down (Wilder ATR bands that only tighten)."""
    high, low, close = (frame[c].to_numpy(dtype=float) for c in ("high", "low", "close"))
    previous = np.concatenate(([close[0]], close[:-1]))
    true_range = np.maximum(high - low, np.maximum(abs(high - previous), abs(low - previous)))
    atr = pd.Series(true_range).ewm(alpha=1 / period, adjust=False).mean().to_numpy()
    middle = (high + low) / 2
    upper, lower = middle + multiplier * atr, middle - multiplier * atr
    direction = np.ones(len(close), dtype=int)
    for i in range(1, len(close)):
        if close[i - 1] <= upper[i - 1]:
            upper[i] = min(upper[i], upper[i - 1])
        if close[i - 1] >= lower[i - 1]:
            lower[i] = max(lower[i], lower[i - 1])
        if direction[i - 1] == 1:
            direction[i] = -1 if close[i] < lower[i] else 1
        else:
            direction[i] = 1 if close[i] > upper[i] else -1
    return direction


def main() -> None:
    args = arguments("Supertrend strategy on the OpenAlgo API",
                     [("--period", int, 10, "ATR length"), ("--multiplier", float, 3.0, "band width in ATRs")])
    run("Supertrend", lambda frame: int(supertrend_direction(frame, args.period, args.multiplier)[-1]), args)


if __name__ == "__main__":
    main()
