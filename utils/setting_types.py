"""Parsers of setting values, shared by the app's settings (utils/config.py) and the settings each broker
plugin declares in its manifest (broker/contract/settings.py).

Each parser takes the raw string and returns the typed value, or raises ValueError whose text says what
is expected (never echoing a secret); the caller adds the setting's name.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Values shipped in .env.sample; start.sh replaces them with fresh random secrets. A server must never
# run with a secret anyone can read on the internet.
PLACEHOLDER_MARK = "change-me"


def text(raw: str) -> str:
    return raw.strip()


def secret(raw: str) -> str:
    value = raw.strip()
    if not value:
        raise ValueError("is missing; expected a random secret of at least 32 characters "
                         "(generate one with: python -c 'import secrets; print(secrets.token_hex(32))')")
    if PLACEHOLDER_MARK in value:
        raise ValueError("still has the placeholder value from .env.sample; set a fresh random secret "
                         "(python -c 'import secrets; print(secrets.token_hex(32))')")
    if len(value) < 32:
        raise ValueError(f"is too short ({len(value)} characters); expected at least 32 random characters")
    return value


def optional_secret(raw: str) -> str:
    value = raw.strip()
    if PLACEHOLDER_MARK in value:
        raise ValueError("still has the placeholder value from .env.sample; set your own value or leave it empty")
    return value


def int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise ValueError(f"must be a whole number between {low} and {high}, got {raw!r}") from None
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}, got {value}")
        return value
    return parse


def float_between(low: float, high: float) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            value = float(raw.strip())
        except ValueError:
            raise ValueError(f"must be a number between {low} and {high}, got {raw!r}") from None
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}, got {value}")
        return value
    return parse


TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def boolean(raw: str) -> bool:
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ValueError(f"must be true or false, got {raw!r}")


def choice(*allowed: str, upper: bool = False) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().upper() if upper else raw.strip().lower()
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}, got {raw!r}")
        return value
    return parse


def http_url(raw: str) -> str:
    value = raw.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"must be an http:// or https:// URL, got {raw!r}")
    return value


def optional_http_url(raw: str) -> str:
    return http_url(raw) if raw.strip() else ""


def hhmm(raw: str) -> str:
    value = raw.strip()
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", value)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"must be a time of day as HH:MM (24-hour, IST), got {raw!r}")
    return f"{int(match[1]):02d}:{match[2]}"


def optional_hhmm(raw: str) -> str:
    """`hhmm`, or empty (the setting's documented automatic choice)."""
    return hhmm(raw) if raw.strip() else ""


def optional_file(raw: str) -> str:
    """An existing file (relative paths from the project folder), or empty."""
    value = raw.strip()
    if value and not (Path(value) if Path(value).is_absolute() else PROJECT_ROOT / value).is_file():
        raise ValueError(f"must be an existing file (absolute, or relative to {PROJECT_ROOT}), got {raw!r}")
    return value




def ws_url(raw: str) -> str:
    value = raw.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("ws", "wss") or not parts.netloc:
        raise ValueError(f"must be a ws:// or wss:// URL, got {raw!r}")
    return value
