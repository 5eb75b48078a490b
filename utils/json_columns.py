"""JSON for a list of flat records held as numpy columns, written without one Python object per value.

History answers are lists of about 105,000 candle objects (a year of 5-minute bars). Building a dict per
bar and encoding it costs far more than computing the bars, so `records_json` writes the text with array
operations: each column becomes a block of ASCII digits (a zero byte where a digit is not needed), the
blocks and the constant field names are laid side by side, one row per record, and the zero bytes are
dropped. The text is exactly what `json.dumps(..., separators=(",", ":"))` writes for the same records:
integers as digits, floats as Python's shortest round-trip form ("970.05", "1000.0").

That exactness holds for non-negative integers and for floats that are whole multiples of 1e-6 between
1e-4 and 1e15 (prices on a tick grid); any other column (negative, NaN, finer than 1e-6) is written by
`json.dumps` instead, so the answer is always correct.
"""
from __future__ import annotations

import json
from typing import Sequence

import numpy as np

_MICRO = 1_000_000
_FRACTION_DIGITS = 6
_LARGEST = 10 ** 15


def _literal(text: str, rows: int) -> np.ndarray:
    return np.broadcast_to(np.frombuffer(text.encode(), dtype=np.uint8), (rows, len(text)))


_ZERO = np.uint8(0)


def _digit_columns(values: np.ndarray, width: int, leading_blank: bool) -> np.ndarray:
    """Non-negative integers as `width` ASCII digits each, most significant first; with `leading_blank`,
    leading zeros are 0 bytes (dropped later) except the last digit, so zero is written "0".

    One pass per digit with a division by the scalar 10 (numpy turns that into a multiply), on
    32-bit unsigned values when they fit: far cheaper than dividing by an array of powers."""
    work = values.astype(np.uint32 if int(values.max()) < 2 ** 32 else np.uint64)
    out = np.empty((values.size, width), dtype=np.uint8)
    for position in range(width - 1, -1, -1):
        quotient = work // 10
        digit = (work - quotient * 10 + 48).astype(np.uint8)
        if leading_blank and position < width - 1:
            digit = np.where(work == 0, _ZERO, digit)
        out[:, position] = digit
        work = quotient
    return out


def _digits(values: np.ndarray) -> np.ndarray:
    """Non-negative int64 values as right-aligned ASCII digits, unneeded leading positions 0."""
    if not values.size:
        return np.empty((0, 1), dtype=np.uint8)
    return _digit_columns(values, len(str(int(values.max()))), leading_blank=True)


def _integer_block(column: np.ndarray) -> np.ndarray | None:
    values = column.astype(np.int64, copy=False)
    if values.size and int(values.min()) < 0:
        return None
    return _digits(values)


def _float_block(column: np.ndarray) -> np.ndarray | None:
    values = column.astype(np.float64, copy=False)
    if not values.size:
        return _digits(values.astype(np.int64))
    if not np.all(np.isfinite(values)) or values.min() < 0 or values.max() >= _LARGEST:
        return None
    scaled = np.rint(values * _MICRO).astype(np.int64)
    tiny = (values != 0) & (values < 1e-4)        # Python writes these in exponent form
    if np.any(tiny) or not np.array_equal(scaled / _MICRO, values):
        return None
    # the fewest decimals that hold every value (a tick grid of 0.05 needs two), at least one
    places = next(p for p in range(1, _FRACTION_DIGITS + 1)
                  if p == _FRACTION_DIGITS or not np.any(scaled % 10 ** (_FRACTION_DIGITS - p)))
    units = scaled // 10 ** (_FRACTION_DIGITS - places)
    whole = units // 10 ** places
    decimals = _digit_columns(units - whole * 10 ** places, places, leading_blank=False)
    # trailing zeros go (Python writes 970.1, not 970.10); the first decimal always stays
    trailing = np.ones(values.size, dtype=bool)
    for position in range(places - 1, 0, -1):
        trailing &= decimals[:, position] == 48
        decimals[:, position] = np.where(trailing, _ZERO, decimals[:, position])
    return np.concatenate([_digits(whole), _literal(".", values.size), decimals], axis=1)


def records_json(columns: Sequence[tuple[str, np.ndarray]]) -> bytes:
    """`[{"name":value,...},...]` for equal-length columns; float columns by their dtype."""
    rows = len(columns[0][1]) if columns else 0
    if rows == 0:
        return b"[]"
    blocks: list[np.ndarray] = []
    for position, (name, column) in enumerate(columns):
        column = np.asarray(column)
        block = (_float_block(column) if column.dtype.kind == "f" else _integer_block(column))
        if block is None:
            return _fallback(columns)
        blocks += [_literal(("{" if position == 0 else ",") + json.dumps(name) + ":", rows), block]
    blocks.append(_literal("},", rows))
    text = np.concatenate(blocks, axis=1).ravel()
    return b"[" + text[text != 0].tobytes()[:-1] + b"]"


def _fallback(columns: Sequence[tuple[str, np.ndarray]]) -> bytes:
    names = [name for name, _ in columns]
    records = [dict(zip(names, row)) for row in zip(*(np.asarray(c).tolist() for _, c in columns))]
    return json.dumps(records, separators=(",", ":")).encode()
