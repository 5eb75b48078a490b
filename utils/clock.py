"""The app's one clock: the current time, replaceable so tests (and demos) can move the date.

Two ways to move it, both read by `now()`:

* an app built with the Flask config key `OPENALGO_CLOCK` (a callable returning an aware datetime) uses
  it inside that app's contexts (tests that step time: session expiry, square-off, key dates);
* the environment variable `OPENALGO_CLOCK_SHIFT` (seconds, may be negative) shifts the wall clock of
  every process started with it: the test process, its apps, the servers and proxies it starts, and
  their threads. ./test.sh reruns the date-sensitive tests under shifted clocks this way. Only the wall
  clock moves: `time.monotonic()` (timeouts, waits, rate windows) stays real, so no wait can stall.

Code that keeps a clock past a request (a background thread) takes `for_app(app)`; broker plugins get
that clock as `PluginConfig.clock` (`system_now` where no app exists).
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from flask import Flask

SHIFT_VARIABLE = "OPENALGO_CLOCK_SHIFT"


def _shift_from_environment() -> timedelta:
    # Read from the environment, not the app's settings: the shift must hold in processes that never
    # load them (the WebSocket proxy, fake broker servers, background threads).
    text = os.environ.get(SHIFT_VARIABLE, "").strip()
    if not text:
        return timedelta(0)
    try:
        return timedelta(seconds=float(text))
    except ValueError:
        raise ValueError(f"{SHIFT_VARIABLE} must be a number of seconds, got {text!r}") from None


SHIFT = _shift_from_environment()


def system_now() -> datetime:
    """Aware UTC datetime of this process's wall clock (OPENALGO_CLOCK_SHIFT applied)."""
    return datetime.now(timezone.utc) + SHIFT


def now() -> datetime:
    """Aware UTC datetime: the current app's OPENALGO_CLOCK if it has one, else `system_now()`."""
    from flask import current_app, has_app_context   # here, so broker code may use system_now() without Flask

    if has_app_context():
        clock = current_app.config.get("OPENALGO_CLOCK")
        if clock is not None:
            return clock().astimezone(timezone.utc)
    return system_now()


def for_app(app: "Flask") -> Callable[[], datetime]:
    """`now()` of `app`, callable anywhere (threads with no app context); reads the app's
    OPENALGO_CLOCK at each call, so a test that sets it after start-up is still obeyed."""
    def app_now() -> datetime:
        clock = app.config.get("OPENALGO_CLOCK")
        return clock().astimezone(timezone.utc) if clock is not None else system_now()
    return app_now
