"""Candles as columns: what a plugin that computes bars in bulk hands back instead of one `Candle` per bar.

A year of 5-minute bars is about 105,000 candles; as Python objects they cost more than computing them
(the paper market builds them with numpy). `CandleColumns` keeps the seven fields as equal-length numpy
arrays and still reads as a sequence of `Candle`, so code written for `CandleSeries.candles` works on
it unchanged; the history endpoint writes its JSON straight from the arrays (utils/json_columns.py).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

import numpy as np

from broker.contract.models import Candle
from utils.json_columns import records_json

FIELDS = ("timestamp", "open", "high", "low", "close", "volume", "oi")
_INTEGER = ("timestamp", "volume", "oi")


class CandleColumns(Sequence[Candle]):
    """Columns `timestamp` (epoch seconds), `open`..`close` (rupees), `volume`, `oi`, ascending by time."""

    __slots__ = FIELDS + ("_parts", "_json")

    def __init__(self, timestamp: Any, open: Any, high: Any, low: Any, close: Any,  # noqa: A002
                 volume: Any, oi: Any):
        values = dict(zip(FIELDS, (timestamp, open, high, low, close, volume, oi)))
        length = None
        for name, column in values.items():
            array = np.ascontiguousarray(column, dtype=np.int64 if name in _INTEGER else np.float64)
            if length is not None and array.shape != (length,):
                raise ValueError(f"candle column {name} has {array.shape} values, expected ({length},)")
            length = array.shape[0] if array.ndim == 1 else -1
            if length < 0:
                raise ValueError(f"candle column {name} must be one-dimensional")
            object.__setattr__(self, name, array)
        self._parts: tuple[CandleColumns, ...] = ()    # the windows it was joined from, in order
        self._json: bytes | None = None

    @classmethod
    def empty(cls) -> "CandleColumns":
        return cls(*([[]] * len(FIELDS)))

    @classmethod
    def from_candles(cls, candles: Iterable[Candle]) -> "CandleColumns":
        if isinstance(candles, CandleColumns):
            return candles
        rows = list(candles)
        if not rows:
            return cls.empty()
        return cls(*zip(*((c.timestamp, c.open, c.high, c.low, c.close, c.volume, c.oi) for c in rows)))

    @classmethod
    def stitch(cls, parts: Iterable[Iterable[Candle]]) -> "CandleColumns":
        """Windows' candles as one ascending series with one candle per timestamp (a later window wins)."""
        columns = [cls.from_candles(part) for part in parts]
        columns = [part for part in columns if len(part)]
        if not columns:
            return cls.empty()
        joined = cls(*(np.concatenate([getattr(part, name) for part in columns]) for name in FIELDS))
        stamps = joined.timestamp
        if stamps.size < 2 or bool(np.all(stamps[1:] > stamps[:-1])):
            joined._parts = tuple(columns)
            return joined
        order = np.argsort(stamps, kind="stable")
        ordered = stamps[order]
        last_of_each = np.append(ordered[1:] != ordered[:-1], True)
        keep = order[last_of_each]
        return cls(*(getattr(joined, name)[keep] for name in FIELDS))

    @property
    def nbytes(self) -> int:
        """Memory the columns hold (and their JSON text, once written)."""
        return sum(getattr(self, name).nbytes for name in FIELDS) + len(self._json or b"")

    def freeze(self) -> None:
        """Make the columns read-only (before they are shared, e.g. cached); a frozen series keeps
        its JSON once written, so a cached window is encoded once however often it is served."""
        for name in FIELDS:
            getattr(self, name).setflags(write=False)

    @property
    def frozen(self) -> bool:
        return not self.timestamp.flags.writeable

    def json(self) -> bytes:
        """The API's list of candle objects as JSON text (utils/json_columns.records_json); a series
        joined from windows reuses each frozen window's text."""
        if self._json is not None:
            return self._json
        if self._parts and any(part.frozen for part in self._parts):
            # one join of views into the windows' texts: the year's ~10 MB are copied once, not three times
            pieces: list[bytes | memoryview] = [b"["]
            for view in (memoryview(part.json())[1:-1] for part in self._parts):
                if view:
                    pieces += [b",", view] if len(pieces) > 1 else [view]
            text = b"".join(pieces + [b"]"])
        else:
            text = records_json([(name, getattr(self, name)) for name in FIELDS])
        if self.frozen:
            self._json = text
        return text

    def __len__(self) -> int:
        return int(self.timestamp.shape[0])

    @overload
    def __getitem__(self, index: int) -> Candle: ...
    @overload
    def __getitem__(self, index: slice) -> "CandleColumns": ...

    def __getitem__(self, index):  # noqa: ANN001, ANN204
        if isinstance(index, slice):
            return CandleColumns(*(getattr(self, name)[index] for name in FIELDS))
        return Candle(*(getattr(self, name)[index].item() for name in FIELDS))

    def __iter__(self) -> Iterator[Candle]:
        return (Candle(*row) for row in zip(*(getattr(self, name).tolist() for name in FIELDS)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, CandleColumns):
            return all(np.array_equal(getattr(self, n), getattr(other, n)) for n in FIELDS)
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"CandleColumns({len(self)} candles)"

    def rows(self) -> list[dict[str, Any]]:
        """The API's candle objects (API_CONTRACT §6.4), one dict per bar."""
        return [dict(zip(FIELDS, row)) for row in zip(*(getattr(self, name).tolist() for name in FIELDS))]
