"""JSON for a list of flat records held as numpy columns, written without one Python object per value.

History answers are lists of about 105,000 candle objects (a year of 5-minute bars). Building a dict per
bar and encoding it costs far more than computing the bars, so `records_json` writes the text with array
operations: one byte matrix, one row per record, holds the constant field names and each value's ASCII
digits at fixed places, with a zero byte wherever a value needs fewer characters than its place holds;
the zero bytes are dropped at the end. Digits are looked up four at a time in a table of the 10,000
four-digit groups (in variants that blank leading or trailing zeros), so a value costs a few array
operations, not one per digit. The text is exactly what `json.dumps(..., separators=(",", ":"))` writes
for the same records: integers as digits, floats as Python's shortest round-trip form ("970.05", "1000.0").

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
_GROUP = 10_000          # four digits


def _group_table() -> np.ndarray:
    """Every four-digit group 0000..9999 as 4 bytes, packed in one uint32, in five variants (the offset
    of each is its _FULL.. constant): all digits; leading zeros blanked (0 → nothing); leading zeros
    blanked but the last digit kept (0 → "0"); trailing zeros blanked; trailing blanked but the first kept."""
    full = np.frombuffer("".join(f"{n:04d}" for n in range(_GROUP)).encode(), dtype=np.uint8).reshape(_GROUP, 4)
    leading = np.maximum.accumulate(full != 48, axis=1)       # from the first non-zero digit on
    trailing = np.maximum.accumulate((full != 48)[:, ::-1], axis=1)[:, ::-1]
    keep_last, keep_first = leading.copy(), trailing.copy()
    keep_last[:, -1] = keep_first[:, 0] = True
    variants = [full] + [np.where(keep, full, 0).astype(np.uint8) for keep in (leading, keep_last, trailing, keep_first)]
    return np.ascontiguousarray(np.concatenate(variants)).view(np.uint32).ravel()


_TABLE = _group_table()
_FULL, _LEADING, _LAST_KEPT, _TRAILING, _FIRST_KEPT = (n * _GROUP for n in range(5))


def _put(out: np.ndarray, start: int, index: np.ndarray) -> int:
    """Write the table's groups at `index` into columns start..start+4 of `out`; the next free column."""
    out[:, start:start + 4] = _TABLE[index].view(np.uint8).reshape(-1, 4)
    return start + 4


def _groups(values: np.ndarray) -> int:
    """How many four-digit groups the largest of `values` (non-negative integers) needs."""
    return max(1, (len(str(int(values.max()))) + 3) // 4) if values.size else 1


def _put_integer(out: np.ndarray, start: int, values: np.ndarray, groups: int) -> int:
    """Non-negative integers right-aligned in `groups` groups, leading zeros blanked (0 is "0")."""
    low, high = (int(values.min()), int(values.max())) if values.size else (0, 0)
    work = values.astype(np.uint32 if high < 2 ** 32 else np.int64)     # uint32: numpy divides it faster
    parts = []
    for _ in range(groups):
        rest = work // _GROUP
        parts.append(work - rest * _GROUP)
        work = rest
    for position in range(groups - 1, -1, -1):         # most significant group first
        bound = _GROUP ** (position + 1)                # a value at least this has digits before the group
        blank = _LAST_KEPT if position == 0 else _LEADING
        if low >= bound or high < bound:                # the same variant for every value
            variant: np.ndarray | int = _FULL if low >= bound else blank
        else:
            variant = np.where(values >= bound, _FULL, blank)
        start = _put(out, start, parts[position] + variant)
    return start


def _integer_plan(column: np.ndarray) -> tuple[int, np.ndarray] | None:
    """(width in bytes, values) of an integer column, or None when it cannot be written here."""
    values = column.astype(np.int64, copy=False)
    if values.size and int(values.min()) < 0:
        return None
    groups = _groups(values)
    return 4 * groups, values


def _float_plan(column: np.ndarray) -> tuple[int, tuple[np.ndarray, np.ndarray, int, int]] | None:
    """(width in bytes, (whole parts, decimals padded to 8 digits, groups, decimal groups)) of a float
    column, or None when it cannot be written exactly here."""
    values = column.astype(np.float64, copy=False)
    if values.size and (not np.all(np.isfinite(values)) or values.min() < 0 or values.max() >= _LARGEST):
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
    decimals = (units - whole * 10 ** places) * 10 ** (8 - places)     # as 8 digits, trailing zeros
    groups, decimal_groups = _groups(whole), 1 if places <= 4 else 2
    return 4 * groups + 1 + 4 * decimal_groups, (whole, decimals, groups, decimal_groups)


def _put_float(out: np.ndarray, start: int, plan: tuple[np.ndarray, np.ndarray, int, int]) -> int:
    """Whole part, ".", then the decimals with trailing zeros blanked (the first decimal always stays)."""
    whole, decimals, groups, decimal_groups = plan
    start = _put_integer(out, start, whole, groups)
    out[:, start] = ord(".")
    first, second = np.divmod(decimals, _GROUP)
    if decimal_groups == 1:
        return _put(out, start + 1, first + _FIRST_KEPT)
    start = _put(out, start + 1, first + np.where(second == 0, _FIRST_KEPT, _FULL))
    return _put(out, start, second + _TRAILING)


def records_json(columns: Sequence[tuple[str, np.ndarray]]) -> bytes:
    """`[{"name":value,...},...]` for equal-length columns; float columns by their dtype."""
    rows = len(columns[0][1]) if columns else 0
    if rows == 0:
        return b"[]"
    pieces: list[tuple[bytes, bool, object]] = []     # (literal before the value, is float, plan)
    for position, (name, column) in enumerate(columns):
        column = np.asarray(column)
        is_float = column.dtype.kind == "f"
        planned = _float_plan(column) if is_float else _integer_plan(column)
        if planned is None:
            return _fallback(columns)
        literal = (("{" if position == 0 else ",") + json.dumps(name) + ":").encode()
        pieces.append((literal, is_float, planned[1]))
        pieces.append((bytes(planned[0]), is_float, planned[1]))
    # every row: a "[" place (row 0 only), the literals and the values' places, "}" and "," ("]" at the end)
    template = b"\0" + b"".join(literal for literal, _, _ in pieces) + b"},"
    out = np.empty((rows, len(template)), dtype=np.uint8)
    out[:] = np.frombuffer(template, dtype=np.uint8)
    out[0, 0], out[-1, -1] = ord("["), ord("]")
    start = 1
    for index in range(0, len(pieces), 2):
        literal, is_float, plan = pieces[index]
        start += len(literal)
        start = _put_float(out, start, plan) if is_float else _put_integer(out, start, plan, _groups(plan))
    return out.tobytes().translate(None, b"\0")


def _fallback(columns: Sequence[tuple[str, np.ndarray]]) -> bytes:
    names = [name for name, _ in columns]
    records = [dict(zip(names, row)) for row in zip(*(np.asarray(c).tolist() for _, c in columns))]
    return json.dumps(records, separators=(",", ":")).encode()
