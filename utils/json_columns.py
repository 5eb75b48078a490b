"""JSON for a list of flat records held as numpy columns, written without one Python object per value.

History answers are lists of about 105,000 candle objects (a year of 5-minute bars). Building a dict per
bar and encoding it costs far more than computing the bars, so `records_json` writes the text with array
operations: one matrix of 4-byte words, one row per record, holds the constant field names and each
value's ASCII digits at fixed places, with a zero byte wherever a value needs fewer characters than its
place holds; the zero bytes are dropped at the end. Digits are looked up four at a time, a word each, in
a table of the 10,000 four-digit groups (in variants that blank leading or trailing zeros), so a value
costs a few array operations, not one per digit. The text is exactly what `json.dumps(..., separators=(",", ":"))` writes
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
    """Every four-digit group 0000..9999 as 4 bytes, packed in one uint32, in six variants (the offset of
    each is its _FULL.. constant): all digits; leading zeros blanked (0 → nothing); leading zeros blanked
    but the last digit kept (0 → "0"); trailing zeros blanked; trailing blanked but the first kept; and
    "." followed by the first three digits of that last variant (up to three decimals in one word)."""
    full = np.frombuffer("".join(f"{n:04d}" for n in range(_GROUP)).encode(), dtype=np.uint8).reshape(_GROUP, 4)
    leading = np.maximum.accumulate(full != 48, axis=1)       # from the first non-zero digit on
    trailing = np.maximum.accumulate((full != 48)[:, ::-1], axis=1)[:, ::-1]
    keep_last, keep_first = leading.copy(), trailing.copy()
    keep_last[:, -1] = keep_first[:, 0] = True
    variants = [full] + [np.where(keep, full, 0).astype(np.uint8) for keep in (leading, keep_last, trailing, keep_first)]
    variants.append(np.concatenate([np.full((_GROUP, 1), ord("."), dtype=np.uint8), variants[-1][:, :3]], axis=1))
    return np.ascontiguousarray(np.concatenate(variants)).view(np.uint32).ravel()


_TABLE = _group_table()
_FULL, _LEADING, _LAST_KEPT, _TRAILING, _FIRST_KEPT, _POINT = (n * _GROUP for n in range(6))


def _put(out: np.ndarray, word: int, index: np.ndarray) -> int:
    """Write the table's groups at `index` into word column `word` of `out`; the next word column."""
    out[:, word] = _TABLE[index]
    return word + 1


def _groups(values: np.ndarray) -> int:
    """How many four-digit groups the largest of `values` (non-negative integers) needs."""
    return max(1, (len(str(int(values.max()))) + 3) // 4) if values.size else 1


def _put_integer(out: np.ndarray, word: int, values: np.ndarray, groups: int) -> int:
    """Non-negative integers right-aligned in `groups` words, leading zeros blanked (0 is "0")."""
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
        word = _put(out, word, parts[position] + variant)
    return word


def _integer_plan(column: np.ndarray) -> tuple[bytes, tuple] | None:
    """(the value's place in the row template, what _put_integer needs), or None when it cannot be
    written here."""
    values = column.astype(np.int64, copy=False)
    if values.size and int(values.min()) < 0:
        return None
    groups = _groups(values)
    return bytes(4 * groups), (values, groups)


def _float_plan(column: np.ndarray) -> tuple[bytes, tuple] | None:
    """(the value's place in the row template, what _put_float needs), or None when the column cannot
    be written exactly here."""
    values = column.astype(np.float64, copy=False)
    low = float(values.min()) if values.size else 0.0
    if values.size and (not np.all(np.isfinite(values)) or low < 0 or values.max() >= _LARGEST):
        return None
    scaled = np.rint(values * _MICRO).astype(np.int64)
    if low < 1e-4 and np.any((values != 0) & (values < 1e-4)):     # Python writes these in exponent form
        return None
    if not np.array_equal(scaled / _MICRO, values):
        return None
    # the fewest decimals that hold every value (a tick grid of 0.05 needs two), at least one
    places = next(p for p in range(1, _FRACTION_DIGITS + 1)
                  if p == _FRACTION_DIGITS or not np.any(scaled % 10 ** (_FRACTION_DIGITS - p)))
    units = scaled // 10 ** (_FRACTION_DIGITS - places)
    whole = units // 10 ** places
    decimals = (units - whole * 10 ** places) * 10 ** (8 - places)     # as 8 digits, trailing zeros
    groups = _groups(whole)
    # up to three decimals: one word "." + digits; more: a "." word in the template and two words
    place = bytes(4 * groups) + (bytes(4) if places <= 3 else b".\0\0\0" + bytes(8))
    return place, (whole, decimals, groups, places)


def _put_float(out: np.ndarray, word: int, whole: np.ndarray, decimals: np.ndarray, groups: int,
               places: int) -> int:
    """Whole part, ".", then the decimals with trailing zeros blanked (the first decimal always stays)."""
    word = _put_integer(out, word, whole, groups)
    first, second = np.divmod(decimals, _GROUP)
    if places <= 3:
        return _put(out, word, first + _POINT)
    word = _put(out, word + 1, first + np.where(second == 0, _FIRST_KEPT, _FULL))
    return _put(out, word, second + _TRAILING)


def records_json(columns: Sequence[tuple[str, np.ndarray]]) -> bytes:
    """`[{"name":value,...},...]` for equal-length columns; float columns by their dtype."""
    rows = len(columns[0][1]) if columns else 0
    if rows == 0:
        return b"[]"
    # Each row is a run of 4-byte words (values are written a word per row at a time, which numpy does
    # far faster than a few bytes per row): each literal is padded in front with zero bytes to whole
    # words, the first with at least one (row 0 puts its "[" there); the row ends with "}," and zeros.
    template, writes = [], []
    for position, (name, column) in enumerate(columns):
        column = np.asarray(column)
        is_float = column.dtype.kind == "f"
        planned = _float_plan(column) if is_float else _integer_plan(column)
        if planned is None:
            return _fallback(columns)
        literal = (("{" if position == 0 else ",") + json.dumps(name) + ":").encode()
        padding = (-len(literal)) % 4 or (4 if position == 0 else 0)
        template.append(bytes(padding) + literal)
        writes.append((sum(map(len, template)) // 4, _put_float if is_float else _put_integer, planned[1]))
        template.append(planned[0])
    template.append(b"},\0\0")
    out = np.empty((rows, sum(map(len, template)) // 4), dtype=np.uint32)
    out[:] = np.frombuffer(b"".join(template), dtype=np.uint32)
    for word, write, plan in writes:
        write(out, word, *plan)
    text = out.view(np.uint8).reshape(rows, -1)
    text[0, 0], text[-1, -3] = ord("["), ord("]")
    return out.tobytes().translate(None, b"\0")


def _fallback(columns: Sequence[tuple[str, np.ndarray]]) -> bytes:
    names = [name for name, _ in columns]
    records = [dict(zip(names, row)) for row in zip(*(np.asarray(c).tolist() for _, c in columns))]
    return json.dumps(records, separators=(",", ":")).encode()
