"""Order events for the browser's server-sent-event stream, read from the order journal.

The journal is the one source: every order-changing request (REST, webhooks, the dashboard, strategies)
is journaled before its response, so a stream that tails the user's journal rows sees all of them.
`wake(user_id)` (called by order_journal.record) makes this process's streams of that user re-read at
once; streams also re-read every `FALLBACK_SECONDS`, which covers requests handled by another process
(several gunicorn workers) and costs one indexed query per open page.
"""
from __future__ import annotations

import json
import threading
from typing import Any

from database import journal
from database.journal import JournalEntry

FALLBACK_SECONDS = 2.0
MAX_STREAMS_PER_USER = 3  # each open stream holds a server thread; a user's oldest tab gives way
_ACTIONS = {"placeorder": "placed", "placesmartorder": "placed", "basketorder": "placed", "splitorder": "placed",
            "optionsorder": "placed", "optionsmultiorder": "placed", "modifyorder": "modified",
            "cancelorder": "cancelled", "cancelallorder": "cancel all", "closeposition": "close positions"}


class _Waker:
    """One condition variable; a counter per user says whether something happened since a stream looked,
    and the user's open streams (newest last) say which may keep running."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._counters: dict[int, int] = {}
        self._book_versions: dict[int, int] = {}
        self._streams: dict[int, list[object]] = {}

    def open_stream(self, user_id: int, limit: int) -> object | None:
        token = object()
        with self._condition:
            mine = len(self._streams.get(user_id, []))
            if sum(len(s) for s in self._streams.values()) - (mine >= MAX_STREAMS_PER_USER) >= limit:
                return None   # the server's stream budget is spent (a tab of this user may give way)
            streams = self._streams.setdefault(user_id, [])
            streams.append(token)
            del streams[:-MAX_STREAMS_PER_USER]
            self._counters[user_id] = self._counters.get(user_id, 0) + 1  # evicted streams wake and leave
            self._condition.notify_all()
        return token

    def close_stream(self, user_id: int, token: object) -> None:
        with self._condition:
            streams = self._streams.get(user_id, [])
            if token in streams:
                streams.remove(token)

    def is_open(self, user_id: int, token: object) -> bool:
        with self._condition:
            return token in self._streams.get(user_id, [])

    def wake(self, user_id: int) -> None:
        with self._condition:
            self._counters[user_id] = self._counters.get(user_id, 0) + 1
            self._condition.notify_all()

    def book_changed(self, user_id: int) -> None:
        with self._condition:
            self._book_versions[user_id] = self._book_versions.get(user_id, 0) + 1
            self._counters[user_id] = self._counters.get(user_id, 0) + 1
            self._condition.notify_all()

    def book_version(self, user_id: int) -> int:
        with self._condition:
            return self._book_versions.get(user_id, 0)

    def counter(self, user_id: int) -> int:
        with self._condition:
            return self._counters.get(user_id, 0)

    def wait(self, user_id: int, seen: int, timeout: float) -> int:
        """Block until the user's counter moves past `seen` or `timeout` passes; returns the counter."""
        with self._condition:
            self._condition.wait_for(lambda: self._counters.get(user_id, 0) != seen, timeout)
            return self._counters.get(user_id, 0)


_waker = _Waker()


def wake(user_id: int) -> None:
    _waker.wake(user_id)


def book_changed(user_id: int) -> None:
    """The broker changed the user's orders by itself (a resting order filled or expired): there is no
    journal row for that, so streams send a `book` event and the pages re-read their books."""
    _waker.book_changed(user_id)


def book_version(user_id: int) -> int:
    return _waker.book_version(user_id)


def open_stream(user_id: int, limit: int) -> object | None:
    """Register a browser stream; beyond MAX_STREAMS_PER_USER the user's oldest one is told to end.
    None when `limit` streams are open in this process in all: each holds a server thread, and the
    threads must stay free for orders (the page then falls back to re-reading its books)."""
    return _waker.open_stream(user_id, limit)


def close_stream(user_id: int, token: object) -> None:
    _waker.close_stream(user_id, token)


def stream_open(user_id: int, token: object) -> bool:
    return _waker.is_open(user_id, token)


def counter(user_id: int) -> int:
    return _waker.counter(user_id)


def wait(user_id: int, seen: int, timeout: float = FALLBACK_SECONDS) -> int:
    return _waker.wait(user_id, seen, timeout)


def latest_id(user_id: int) -> int:
    """The id of the user's newest journal row (0 when none): a new stream starts after it."""
    rows = journal.entries_for_user(user_id, limit=1)
    return rows[0].id if rows else 0


def since(user_id: int, after_id: int, limit: int = 50) -> list[dict[str, Any]]:
    """The user's journal rows after `after_id`, oldest first, as browser events."""
    return [describe(row) for row in journal.entries_after(user_id, after_id, limit=limit)]


def _text(value: Any) -> str:
    """Quantities arrive as 1, "1" or 1.0 (clients differ): show whole numbers without a decimal point."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return str(int(number)) if number.is_integer() else str(value)


def describe(row: JournalEntry) -> dict[str, Any]:
    """What the page needs: ids, outcome and a one-line text for the toast (no credentials: the
    journal never stores them)."""
    try:
        request = json.loads(row.request_json or "{}")
    except ValueError:
        request = {}
    verb = _ACTIONS.get(row.action, row.action)
    what = " ".join(_text(request[k]) for k in ("action", "quantity", "symbol", "exchange") if request.get(k) not in (None, ""))
    if row.status == "success":
        text = f"Order {row.orderid} {verb}" if row.orderid else f"{row.action}: {row.message or 'done'}"
    else:
        text = f"{row.action} failed: {row.message or 'error'}"
    if what:
        text += f" ({what})"
    return {"id": row.id, "action": row.action, "status": row.status, "orderid": row.orderid,
            "mode": row.mode, "strategy": row.strategy, "message": row.message, "toast": text}
