"""In-memory instrument search (API_CONTRACT.md §7.2) and expiry lists (§7.3).

Search must answer in well under 10 ms over 100,000 instruments, which rules out scanning every row per
query (even one C-level `str.find` over all rows costs a few ms per term). The index keeps:

* every instrument's uppercase haystack `SYMBOL|BRSYMBOL|NAME|TOKEN`, in rank order: by symbol length,
  then symbol, so shorter (index, equity, future) symbols come before long option symbols;
* posting lists of every 2- and 3-character substring (n-gram) → sorted instrument ids, built with NumPy
  in one sort; a term of 2+ characters is narrowed to the ids holding all its n-grams by intersecting
  posting lists, numeric terms add the ids whose strike equals them;
* an exact-symbol map and a symbol-sorted array for the ranking tiers: symbol equal to the first term,
  symbol starting with it, then any field containing it.

Candidates are then checked for real (an n-gram match is not yet a substring match) lazily in rank order,
stopping at 500 results, so a query matching half the index costs no more than a selective one.
"""
from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from utils.errors import InvalidInput
from utils.constants import EXCHANGES, FNO_EXCHANGES
from utils.symbols import master_expiry, parse_derivative

MAX_RESULTS = 500
_CHUNK = 8192
_SEPARATOR = "|"


def _field(record: Any, name: str) -> Any:
    if isinstance(record, dict) or isinstance(record, Mapping):
        return record.get(name)
    return getattr(record, name, None)


def _strike(value: Any) -> float | None:
    try:
        strike = float(value)
    except (TypeError, ValueError):
        return None
    return strike if strike > 0 else None   # 0, -1, -0.01 are "no strike" placeholders (§7)


@dataclass(frozen=True)
class _NGrams:
    """Posting lists of all n-grams of one length: codes (sorted) → ids[starts[i]:starts[i+1]]."""
    codes: np.ndarray
    starts: np.ndarray
    ids: np.ndarray

    @classmethod
    def build(cls, matrix: np.ndarray, n: int) -> "_NGrams":
        rows, width = matrix.shape
        if width < n:
            return cls(np.empty(0, np.int64), np.zeros(1, np.int64), np.empty(0, np.int32))
        # (n-gram code << 32 | row id) for every n-gram inside a haystack; built in chunks to bound memory
        keys = np.sort(np.concatenate([cls._keys(matrix[at:at + _CHUNK], n, at) for at in range(0, rows, _CHUNK)]))
        keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))]
        grams = keys >> 32
        starts = np.flatnonzero(np.concatenate(([True], grams[1:] != grams[:-1])))
        return cls(grams[starts], np.append(starts, len(keys)), (keys & 0xFFFFFFFF).astype(np.int32))

    @staticmethod
    def _keys(matrix: np.ndarray, n: int, first_row: int) -> np.ndarray:
        rows, width = matrix.shape
        code = np.zeros((rows, width - n + 1), np.int64)
        for k in range(n):
            code = (code << 8) | matrix[:, k:width - n + 1 + k]
        valid = matrix[:, n - 1:] != 0          # the n-gram lies inside the (zero-padded) haystack
        row_ids = np.broadcast_to(np.arange(first_row, first_row + rows, dtype=np.int64)[:, None], code.shape)
        return (code[valid] << 32) | row_ids[valid]

    def postings(self, gram: bytes) -> np.ndarray:
        code = int.from_bytes(gram, "big")
        at = int(np.searchsorted(self.codes, code))
        if at == len(self.codes) or self.codes[at] != code:
            return self.ids[:0]
        return self.ids[self.starts[at]:self.starts[at + 1]]


class SymbolIndex:
    """Build once per master-contract load (1-3 s per 100,000 rows on a small machine); queries are
    read-only and safe to run from many threads."""

    def __init__(self, records: Iterable[Any]):
        rows = [(str(_field(r, "symbol") or "").upper(), r) for r in records]
        rows.sort(key=lambda pair: (len(pair[0]), pair[0]))
        self._records = [record for _, record in rows]
        self._symbols = [symbol for symbol, _ in rows]
        fields = ("symbol", "brsymbol", "name", "token")
        self._haystacks = [_SEPARATOR.join(str(_field(r, f) or "").upper() for f in fields) for r in self._records]
        exchanges = [str(_field(r, "exchange") or "") for r in self._records]
        self._exchange_codes = {name: code for code, name in enumerate(sorted(set(exchanges)))}
        self._exchange_of = np.array([self._exchange_codes[e] for e in exchanges], np.int16)
        self._strikes: dict[float, np.ndarray] = {}
        by_strike: dict[float, list[int]] = defaultdict(list)
        self._exact: dict[str, list[int]] = defaultdict(list)
        for i, record in enumerate(self._records):
            self._exact[self._symbols[i]].append(i)
            if (strike := _strike(_field(record, "strike"))) is not None:
                by_strike[strike].append(i)
        self._strikes = {k: np.array(v, np.int32) for k, v in by_strike.items()}
        self._alpha_order = np.array(sorted(range(len(rows)), key=self._symbols.__getitem__), np.int32)
        self._alpha_symbols = [self._symbols[i] for i in self._alpha_order]
        matrix = self._byte_matrix(self._haystacks)
        self._grams = {2: _NGrams.build(matrix, 2), 3: _NGrams.build(matrix, 3)}

    def __len__(self) -> int:
        return len(self._records)

    @staticmethod
    def _byte_matrix(haystacks: list[str]) -> np.ndarray:
        encoded = np.array([h.encode("utf-8", "replace") for h in haystacks] or [b""])
        width = max(encoded.dtype.itemsize, 1)
        return np.frombuffer(encoded.tobytes(), np.uint8).reshape(len(encoded), width)[:len(haystacks)]

    # --------------------------------------------------------------------------------- query
    def search(self, query: str, exchange: str | None = None, limit: int = MAX_RESULTS) -> list[Any]:
        """Records matching every whitespace-separated term, ranked exact, prefix, then contains."""
        terms = query.upper().split()
        if not terms or not self._records:
            return []
        candidates = self._candidates(terms)
        if exchange:
            code = self._exchange_codes.get(exchange)
            if code is None:
                return []
            candidates = (np.flatnonzero(self._exchange_of == code) if candidates is None
                          else candidates[self._exchange_of[candidates] == code])
        hits: list[Any] = []
        for tier in self._tiers(terms[0], candidates):
            for i in tier:
                if self._matches(int(i), terms):
                    hits.append(self._records[i])
                    if len(hits) >= limit:
                        return hits
        return hits

    def _candidates(self, terms: list[str]) -> np.ndarray | None:
        """Sorted ids that may match every term of 2+ characters; None when no term narrows anything."""
        sets = [self._term_candidates(t) for t in terms if len(t.encode()) >= 2]
        return self._intersect(sets) if sets else None

    def _intersect(self, sets: list[np.ndarray]) -> np.ndarray:
        """Intersection of sorted id arrays: filter the smallest through a boolean mask of each other one
        (linear; np.intersect1d sorts the concatenation and is several times slower here)."""
        sets = sorted(sets, key=len)
        result = sets[0]
        for other in sets[1:]:
            if not len(result):
                break
            mask = np.zeros(len(self._records), bool)
            mask[other] = True
            result = result[mask[result]]
        return result

    def _term_candidates(self, term: str) -> np.ndarray:
        raw = term.encode("utf-8", "replace")
        n = 3 if len(raw) >= 3 else 2
        result = self._intersect([self._grams[n].postings(raw[k:k + n]) for k in range(len(raw) - n + 1)])
        if (strike := _strike(term)) is not None and strike in self._strikes:
            mask = np.zeros(len(self._records), bool)
            mask[result] = True
            mask[self._strikes[strike]] = True
            result = np.flatnonzero(mask)
        return result

    def _tiers(self, first: str, candidates: np.ndarray | None) -> list[Iterable[int]]:
        exact = np.array(self._exact.get(first, ()), np.int32)
        low = bisect.bisect_left(self._alpha_symbols, first)
        high = bisect.bisect_left(self._alpha_symbols, first + "\U0010ffff")
        prefix_mask = np.zeros(len(self._records), bool)
        prefix_mask[self._alpha_order[low:high]] = True
        prefix_mask[exact] = False
        if candidates is None:   # only 1-character terms: walk everything in rank order, lazily
            others = (i for i in range(len(self._records)) if not prefix_mask[i] and self._symbols[i] != first)
            return [exact, np.flatnonzero(prefix_mask), others]
        in_prefix = prefix_mask[candidates]
        is_exact = np.isin(candidates, exact, assume_unique=True)
        return [candidates[is_exact], candidates[in_prefix], candidates[~in_prefix & ~is_exact]]

    def _matches(self, i: int, terms: Sequence[str]) -> bool:
        haystack = self._haystacks[i]
        for term in terms:
            if term in haystack:
                continue
            strike = _strike(term)
            if strike is None or _strike(_field(self._records[i], "strike")) != strike:
                return False
        return True


def expiry_list(symbols: Iterable[str], base: str, instrumenttype: str, today: date) -> list[str]:
    """§7.3: distinct expiries (`DD-MMM-YY`, date order) of `base`'s futures or options, today onwards.
    Only symbols that are exactly BASE + DDMMMYY + ... count, so NIFTY never picks up NIFTYNXT50."""
    if instrumenttype not in ("futures", "options"):
        raise ValueError("instrumenttype must be futures or options")
    base = base.upper()
    want_options = instrumenttype == "options"
    days = set()
    for symbol in symbols:
        parsed = parse_derivative(str(symbol).upper())
        if parsed and parsed.base == base and parsed.is_option == want_options and parsed.expiry >= today:
            days.add(parsed.expiry)
    return [master_expiry(day) for day in sorted(days)]


def search_response(index: SymbolIndex, query: Any, exchange: Any = None) -> dict[str, Any]:
    """§7.2 body; `data` holds the index's records as given (the master contract's instrument records)."""
    if not isinstance(query, str) or not query.strip():
        raise InvalidInput("Query parameter is required and cannot be empty", field="query")
    if exchange and exchange not in EXCHANGES:
        raise InvalidInput(f"exchange must be one of: {', '.join(EXCHANGES)}", field="exchange")
    results = index.search(query, exchange or None)
    message = f"Found {len(results)} matching symbols" if results else "No matching symbols found"
    return {"status": "success", "message": message, "data": results}


def expiry_response(symbols: Iterable[str], base: Any, exchange: Any, instrumenttype: Any,
                    today: date) -> dict[str, Any]:
    """§7.3 body for the derivative symbols of one exchange (`today` in IST)."""
    if not isinstance(base, str) or not base.strip():
        raise InvalidInput("symbol is required, e.g. NIFTY", field="symbol")
    if exchange not in FNO_EXCHANGES:
        raise InvalidInput(f"exchange must be one of: {', '.join(FNO_EXCHANGES)}", field="exchange")
    if instrumenttype not in ("futures", "options"):
        raise InvalidInput("instrumenttype must be futures or options", field="instrumenttype")
    dates = expiry_list(symbols, base.strip(), instrumenttype, today)
    what = f"{base.strip().upper()} {instrumenttype} in {exchange}"
    message = f"Found {len(dates)} expiry dates for {what}" if dates else f"No expiry dates found for {what}"
    return {"status": "success", "message": message, "data": dates}
