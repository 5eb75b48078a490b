"""Replaying recorded ticks in the paper market (PAPER_REPLAY_FILE).

A CSV of recorded index ticks (columns `timestamp` as `YYYY-MM-DD HH:MM:SS[.fff]` IST and
`last_price`, e.g. broker/paper/data/nifty50_ticks_2022-07-01.csv) gives NIFTY its real
intraday moves: every simulated day, from the recorded time of day to the last recorded tick, the
index follows the recorded path scaled to that day's level (so the shape is real and the level stays
the simulation's). After the window the simulated path resumes, bent smoothly so the day still ends at
tomorrow's anchor. Futures and options of NIFTY follow, since they are priced from the index.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

REPLAY_KEY = "NSE_INDEX:NIFTY"
# driver key → its replay; read by prices.driver_path. Changed only through install().
ACTIVE: dict[str, "Replay"] = {}


@dataclass(frozen=True)
class Replay:
    start_second: int          # second of the IST day of the first tick
    relative: np.ndarray       # per-second last price / first price, forward-filled


def load(path: str | Path) -> Replay:
    """Read a tick CSV; raises ValueError naming the problem."""
    points: dict[int, float] = {}
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"timestamp", "last_price"} <= set(reader.fieldnames):
            raise ValueError(f"{path}: needs the columns timestamp and last_price")
        for row in reader:
            moment = datetime.fromisoformat(row["timestamp"].strip())
            points[moment.hour * 3600 + moment.minute * 60 + moment.second] = float(row["last_price"])
    if len(points) < 2:
        raise ValueError(f"{path}: needs at least two ticks")
    seconds = sorted(points)
    start, end = seconds[0], seconds[-1]
    filled = np.empty(end - start + 1)
    last = points[start]
    for offset in range(filled.size):
        last = points.get(start + offset, last)
        filled[offset] = last
    return Replay(start, filled / filled[0])


def overlay(path: np.ndarray, replay: Replay) -> np.ndarray:
    """`path` (one day, per second) with the replay window imposed and the rest re-joined smoothly."""
    out = path.copy()
    start = replay.start_second
    end = min(start + replay.relative.size, out.size - 1) - 1
    out[start: end + 1] = path[start] * replay.relative[: end - start + 1]
    factor = out[end] / path[end]
    tail = np.arange(end + 1, out.size)
    out[end + 1:] = path[end + 1:] * factor ** ((out.size - 1 - tail) / (out.size - 1 - end))
    return out


def install(replay: Replay | None, key: str = REPLAY_KEY) -> None:
    """Make `key` follow `replay` (None: stop replaying) in this process; cached prices are dropped."""
    from broker.paper import market, prices

    if replay is None:
        ACTIVE.pop(key, None)
    else:
        ACTIVE[key] = replay
    prices.driver_path.cache_clear()
    market.reset_caches()
