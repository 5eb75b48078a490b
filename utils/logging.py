"""The one logger factory: colored console output, optional daily-rotated files, and secret redaction.

Every handler installed here carries `RedactionFilter`, which rewrites the finished message (format
string *and* arguments), the exception text and the stack text before any formatter sees them, so a
secret logged by mistake never reaches the console or a file.
"""
from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
from logging.handlers import TimedRotatingFileHandler
from typing import TYPE_CHECKING, Iterable, TextIO

from colorama import Fore, Style

if TYPE_CHECKING:
    from utils.config import Settings

MASK = "****"
_ROOT_NAME = "openalgo"
_HANDLER_MARK = "_openalgo_handler"

# --------------------------------------------------------------------------------------- redaction
_SENSITIVE_NAME = r"[\w.-]*(?:api[_-]?key|apikey|key|secret|token|password|passwd|pwd|pepper|otp|auth[_-]?code|session[_-]?id)[\w-]*"
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # Authorization: Bearer x / Authorization: token key:secret / X-API-KEY: x
    (re.compile(r"(?i)(authorization\s*[:=]\s*)(['\"]?)[^'\"\r\n,}]+"), rf"\1\2{MASK}"),
    (re.compile(r"(?i)\b(bearer|token|basic)(\s+)[A-Za-z0-9._~+/:=-]{8,}"), rf"\1\2{MASK}"),
    # "name": "value" (JSON / repr of dicts)
    (re.compile(rf"(?i)(['\"]{_SENSITIVE_NAME}['\"]\s*:\s*)(['\"])(?:\\.|(?!\2).)*\2"), rf"\1\2{MASK}\2"),
    (re.compile(rf"(?i)(['\"]{_SENSITIVE_NAME}['\"]\s*:\s*)(?!['\"])[^,}}\s]+"), rf"\1{MASK}"),
    # name=value, name: value (query strings, log text, env dumps)
    (re.compile(rf"(?i)(\b{_SENSITIVE_NAME}\s*[=:]\s*)(['\"]?)[^\s&'\",;)}}\]]+"), rf"\1\2{MASK}"),
    # credentials inside URLs: scheme://user:password@host
    (re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^:/\s@]+:)[^@\s/]+(@)"), rf"\1{MASK}\2"),
    # bare long random strings: hex keys and base64url tokens (need letters and digits, so
    # order ids, symbols and identifiers pass through)
    (re.compile(r"\b(?=[0-9a-fA-F]*[a-fA-F])(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{32,}\b"), MASK),
    (re.compile(r"(?<![\w-])(?=[\w-]*[A-Za-z])(?=[\w-]*\d)[\w-]{40,}={0,2}(?![\w-])"), MASK),
]


class RedactionFilter(logging.Filter):
    """Masks secrets in a record's message, arguments, exception and stack text."""

    def __init__(self, secrets: Iterable[str] = ()):
        super().__init__()
        self._lock = threading.Lock()
        self._secrets: tuple[str, ...] = ()
        self.add_secrets(secrets)

    def add_secrets(self, secrets: Iterable[str]) -> None:
        """Register literal values (configured secrets) that are masked wherever they appear."""
        with self._lock:
            merged = set(self._secrets) | {s for s in secrets if s and len(s) >= 6}
            self._secrets = tuple(sorted(merged, key=len, reverse=True))

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_openalgo_redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not hide the record (or leak its args)
            message = f"{record.msg!r} (unformattable arguments)"
        record.msg = self.redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
            record.exc_info = None  # formatters would otherwise re-render the raw exception
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        record._openalgo_redacted = True
        return True


_redactor = RedactionFilter()


def redact(text: str) -> str:
    """Mask secrets in arbitrary text (for messages that leave the process other than by logging)."""
    return _redactor.redact(text)


def register_secrets(secrets: Iterable[str]) -> None:
    _redactor.add_secrets(secrets)


# --------------------------------------------------------------------------------------- formatting
_LEVEL_COLORS = {
    logging.DEBUG: Fore.CYAN,
    logging.INFO: Fore.GREEN,
    logging.WARNING: Fore.YELLOW,
    logging.ERROR: Fore.RED,
    logging.CRITICAL: Fore.RED + Style.BRIGHT,
}
_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


def colors_enabled(stream: TextIO) -> bool:
    """Color only for a terminal, never under NO_COLOR, and not on CI unless FORCE_COLOR is set."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("CI"):
        return False
    return hasattr(stream, "isatty") and stream.isatty()


class TextFormatter(logging.Formatter):
    def __init__(self, color: bool):
        super().__init__(datefmt=_DATE_FORMAT)
        self.color = color

    def format(self, record: logging.LogRecord) -> str:
        stamp = self.formatTime(record, self.datefmt)
        level = record.levelname.ljust(8)
        line = record.getMessage()
        if self.color:
            stamp = f"{Style.DIM}{stamp}{Style.RESET_ALL}"
            level = f"{_LEVEL_COLORS.get(record.levelno, '')}{level}{Style.RESET_ALL}"
            name = f"{Fore.BLUE}{record.name}{Style.RESET_ALL}"
        else:
            name = record.name
        text = f"{stamp} {level} {name}: {line}"
        if record.exc_text:
            text += "\n" + record.exc_text
        if record.stack_info:
            text += "\n" + record.stack_info
        return text


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, _DATE_FORMAT),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


# --------------------------------------------------------------------------------------- set-up
def get_logger(name: str) -> logging.Logger:
    """A logger under the project's namespace; configured once by `configure_logging`."""
    if name != _ROOT_NAME and not name.startswith(_ROOT_NAME + "."):
        name = f"{_ROOT_NAME}.{name}"
    return logging.getLogger(name)


def _mark(handler: logging.Handler) -> logging.Handler:
    setattr(handler, _HANDLER_MARK, True)
    handler.addFilter(_redactor)
    return handler


def configure_logging(settings: "Settings", stream: TextIO | None = None) -> None:
    """Install console (and file) handlers on the root logger; safe to call again (replaces ours)."""
    register_secrets(settings.secret_values())
    stream = stream or sys.stderr
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
            handler.close()

    console = logging.StreamHandler(stream)
    console.setFormatter(JsonFormatter() if settings.LOG_FORMAT == "json" else TextFormatter(colors_enabled(stream)))
    root.addHandler(_mark(console))

    if settings.LOG_TO_FILE:
        log_dir = settings.log_dir
        log_dir.mkdir(parents=True, exist_ok=True)
        file_handler = TimedRotatingFileHandler(log_dir / "openalgo.log", when="midnight",
                                                backupCount=settings.LOG_RETENTION, encoding="utf-8")
        file_handler.setFormatter(JsonFormatter() if settings.LOG_FORMAT == "json" else TextFormatter(False))
        root.addHandler(_mark(file_handler))

    root.setLevel(settings.LOG_LEVEL)
    # Third-party chatter at INFO drowns our own lines; keep their warnings.
    for noisy in ("werkzeug", "waitress", "urllib3", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


# --------------------------------------------------------------------------------------- banner
def highlight_url(url: str, color: bool = True) -> str:
    return f"{Fore.CYAN}{Style.BRIGHT}{url}{Style.RESET_ALL}" if color else url


def render_banner(title: str, rows: list[tuple[str, str]], color: bool) -> str:
    """A boxed block of `label  value` rows; URLs are highlighted when color is on."""
    width = max(len(label) for label, _ in rows)
    plain = [f"  {label.ljust(width)}  {value}" for label, value in rows]
    box = max(len(title) + 4, *(len(line) + 2 for line in plain))
    top = "╭" + "─" * box + "╮"
    bottom = "╰" + "─" * box + "╯"
    heading = f"│ {title.center(box - 2)} │"
    lines = [top, heading, "├" + "─" * box + "┤"]
    for (label, value), line in zip(rows, plain):
        pad = " " * (box - len(line))
        shown = highlight_url(value, color) if color and "://" in value else value
        lines.append(f"│{'  ' + label.ljust(width) + '  ' + shown}{pad}│")
    lines.append(bottom)
    text = "\n".join(lines)
    return f"{Fore.GREEN}{text}{Style.RESET_ALL}" if color else text


def print_banner(title: str, rows: list[tuple[str, str]], stream: TextIO | None = None) -> None:
    stream = stream or sys.stdout
    print(render_banner(title, rows, colors_enabled(stream)), file=stream, flush=True)
