"""The history endpoint's JSON writer (utils/json_columns.py) and the candle columns it writes from."""
from __future__ import annotations

import json

import numpy as np
import pytest

from broker.contract import Candle
from broker.contract.columns import FIELDS, CandleColumns
from utils.json_columns import records_json


def _reference(columns) -> bytes:
    names = [name for name, _ in columns]
    rows = [dict(zip(names, row)) for row in zip(*(np.asarray(c).tolist() for _, c in columns))]
    return json.dumps(rows, separators=(",", ":")).encode()


@pytest.mark.parametrize("tick", [0.05, 0.01, 0.0025, 1.0, 0.1])
def test_written_exactly_as_json_dumps_writes_it(tick):
    rng = np.random.default_rng(7)
    ticks = np.concatenate(([1, 10, 100, 1000, 99_999_999], rng.integers(1, 2_000_000, 5000)))
    prices = np.round(ticks * tick, 6)
    columns = [("timestamp", 1_700_000_000 + np.arange(prices.size) * 300), ("open", prices),
               ("high", prices[::-1].copy()), ("volume", rng.integers(0, 10 ** 12, prices.size)),
               ("oi", np.zeros(prices.size, dtype=np.int64)), ("zero", np.zeros(prices.size))]
    text = records_json(columns)
    assert text == _reference(columns)
    assert json.loads(text)[0] == {"timestamp": 1_700_000_000, "open": prices[0], "high": prices[-1],
                                   "volume": int(columns[3][1][0]), "oi": 0, "zero": 0.0}


@pytest.mark.parametrize("odd", [[-1.5, 2.0], [float("nan"), 1.0], [1e-5, 1.0], [1.23456789, 2.0], [1e16, 1.0]])
def test_values_it_cannot_write_exactly_go_through_json_dumps(odd):
    columns = [("timestamp", np.array([1, 2])), ("price", np.array(odd))]
    assert records_json(columns) == _reference(columns)
    assert records_json([("n", np.array([-3, 4]))]) == b'[{"n":-3},{"n":4}]'
    assert records_json([("n", np.array([], dtype=np.int64))]) == b"[]"


def test_candle_columns_read_as_candles_and_stitch_like_windows():
    first = [Candle(60, 1.0, 2.0, 0.5, 1.5, 10, 0), Candle(120, 1.5, 2.5, 1.0, 2.0, 20, 0)]
    second = CandleColumns.from_candles([Candle(120, 9.0, 9.0, 9.0, 9.0, 90, 1),
                                         Candle(180, 2.0, 3.0, 1.0, 2.5, 30, 0)])
    stitched = CandleColumns.stitch([second, first])
    assert [c.timestamp for c in stitched] == [60, 120, 180]
    assert stitched[1] == first[1]                       # the later window wins a repeated timestamp
    assert stitched.rows()[0] == {"timestamp": 60, "open": 1.0, "high": 2.0, "low": 0.5, "close": 1.5,
                                  "volume": 10, "oi": 0}
    assert list(stitched[1:]) == [first[1], second[1]] and len(CandleColumns.stitch([])) == 0
    with pytest.raises(ValueError, match="close"):
        CandleColumns(*([[1, 2]] * 4), [1.0], [1, 2], [0, 0])
    assert tuple(FIELDS) == ("timestamp", "open", "high", "low", "close", "volume", "oi")


def test_joined_windows_write_the_same_json_and_a_frozen_one_keeps_it():
    rng = np.random.default_rng(3)

    def window(first: int) -> CandleColumns:
        prices = np.round(rng.integers(20, 40_000, 50) * 0.05, 6)
        return CandleColumns(first + np.arange(50) * 60, prices, prices, prices, prices,
                             rng.integers(0, 9999, 50), np.zeros(50, dtype=np.int64))

    old, today = window(0), window(3000)
    old.freeze()
    joined = CandleColumns.stitch([old, today])
    whole = records_json([(name, getattr(joined, name)) for name in FIELDS])
    assert joined.json() == whole and json.loads(whole)[50]["timestamp"] == 3000
    assert old.json() is old.json() and today.json() is not today.json()    # only frozen text is kept
    assert CandleColumns.empty().json() == b"[]"
