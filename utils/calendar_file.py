"""The market-calendar CSV: parsing with row-and-field error messages, merging and atomic rewriting.

The shipped file is `utils/calendar_data/holidays.csv` (format in its header). `flask calendar import`
validates a whole file before touching anything, merges it over the stored rows (a row replaces the stored
row of the same date and exchange) and swaps the file in with `os.replace`, so a bad file or a crash
half-way never loses what was stored.
"""
from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

CALENDAR_EXCHANGES = ("NSE", "BSE", "NFO", "BFO", "CDS", "BCD", "MCX", "NCO", "CRYPTO")
HOLIDAY_TYPES = ("TRADING_HOLIDAY", "SETTLEMENT_HOLIDAY", "SPECIAL_SESSION")
COLUMNS = ("date", "exchange", "holiday_type", "description", "open_windows")
OPEN, CLOSE = "open", "close"   # window ends that mean the exchange's regular open / close that day
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")


class CalendarDataError(ValueError):
    """Every problem of a calendar file, each naming its line and field."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("Invalid calendar file:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class CalendarRow:
    day: date
    exchange: str
    holiday_type: str
    description: str
    windows: tuple[tuple[str, str], ...]   # ("17:00", "close"): resolved against the day's regular hours

    @property
    def key(self) -> tuple[date, str]:
        return self.day, self.exchange

    def windows_text(self) -> str:
        return ";".join(f"{start}-{end}" for start, end in self.windows)


def read_rows(path: Path) -> list[CalendarRow]:
    # utf-8-sig: spreadsheet programs save CSV with a byte-order mark
    return parse_text(path.read_text(encoding="utf-8-sig"))


def parse_text(text: str) -> list[CalendarRow]:
    """Parse and validate a whole file; raises CalendarDataError listing every bad line."""
    numbered = [(n, line) for n, line in enumerate(text.splitlines(), start=1)
                if line.strip() and not line.lstrip().startswith("#")]
    if not numbered:
        raise CalendarDataError([f"the file has no header row; expected: {','.join(COLUMNS)}"])
    header_line, header = numbered[0][0], next(csv.reader([numbered[0][1]]))
    if tuple(h.strip().lower() for h in header) != COLUMNS:
        raise CalendarDataError([f"line {header_line}: header is {','.join(header)!s}; expected: {','.join(COLUMNS)}"])
    rows: list[CalendarRow] = []
    problems: list[str] = []
    seen: dict[tuple[date, str], int] = {}
    for line_no, line in numbered[1:]:
        values = next(csv.reader([line]))
        try:
            row = _parse_row(values)
        except ValueError as exc:
            problems.append(f"line {line_no}: {exc}")
            continue
        if row.key in seen:
            problems.append(f"line {line_no}: {row.day} {row.exchange} is already given on line {seen[row.key]}")
            continue
        seen[row.key] = line_no
        rows.append(row)
    if problems:
        raise CalendarDataError(problems)
    return rows


def _parse_row(values: list[str]) -> CalendarRow:
    if len(values) != len(COLUMNS):
        raise ValueError(f"has {len(values)} fields; expected {len(COLUMNS)} ({','.join(COLUMNS)})")
    raw = dict(zip(COLUMNS, (v.strip() for v in values)))
    try:
        day = date.fromisoformat(raw["date"])
    except ValueError:
        raise ValueError(f"field 'date': {raw['date']!r} is not a date in YYYY-MM-DD format") from None
    exchange = raw["exchange"].upper()
    if exchange not in CALENDAR_EXCHANGES:
        raise ValueError(f"field 'exchange': {raw['exchange']!r} is not one of {', '.join(CALENDAR_EXCHANGES)}")
    kind = raw["holiday_type"].upper()
    if kind not in HOLIDAY_TYPES:
        raise ValueError(f"field 'holiday_type': {raw['holiday_type']!r} is not one of {', '.join(HOLIDAY_TYPES)}")
    if not raw["description"]:
        raise ValueError("field 'description': is empty; name the holiday or session")
    windows = _parse_windows(raw["open_windows"])
    if kind == "SETTLEMENT_HOLIDAY" and windows:
        raise ValueError("field 'open_windows': must be empty for a SETTLEMENT_HOLIDAY (trading is as usual)")
    return CalendarRow(day, exchange, kind, raw["description"], windows)


def _parse_windows(text: str) -> tuple[tuple[str, str], ...]:
    windows = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        start, sep, end = part.partition("-")
        start, end = start.strip().lower(), end.strip().lower()
        bad = [t for t in (start, end) if t not in (OPEN, CLOSE) and not _TIME.match(t)]
        if not sep or bad:
            raise ValueError(f"field 'open_windows': {part!r} is not HH:MM-HH:MM "
                             "(24-hour IST; 'open'/'close' mean the regular open/close)")
        if start == CLOSE or end == OPEN or (_TIME.match(start) and _TIME.match(end) and start >= end):
            raise ValueError(f"field 'open_windows': {part!r} ends before it starts")
        windows.append((start, end))
    return tuple(windows)


def merge(stored: list[CalendarRow], incoming: list[CalendarRow]) -> tuple[list[CalendarRow], int, int]:
    """Incoming rows replace stored rows of the same date and exchange. Returns (rows, added, replaced)."""
    by_key = {row.key: row for row in stored}
    replaced = sum(1 for row in incoming if row.key in by_key)
    by_key.update((row.key, row) for row in incoming)
    order = {name: i for i, name in enumerate(CALENDAR_EXCHANGES)}
    rows = sorted(by_key.values(), key=lambda r: (r.day, order[r.exchange]))
    return rows, len(incoming) - replaced, replaced


def write_rows(path: Path, rows: list[CalendarRow]) -> None:
    """Rewrite `path` atomically, keeping its comment header."""
    header = _comment_header(path)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow((row.day.isoformat(), row.exchange, row.holiday_type, row.description, row.windows_text()))
    fd, temp_name = tempfile.mkstemp(prefix=".calendar-", suffix=".csv", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(header + buffer.getvalue())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def _comment_header(path: Path) -> str:
    if not path.exists():
        return ""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.lstrip().startswith("#"):
            break
        lines.append(line + "\n")
    return "".join(lines)
