"""Logging: secrets never reach the console or the log file; colors only where they belong."""
from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRETS
from utils.config import load_settings
from utils.logging import RedactionFilter, colors_enabled, configure_logging, get_logger, render_banner

API_KEY = "9f2c4e7a1b3d5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4"


def _configure(tmp_path: Path, **extra: str) -> io.StringIO:
    stream = io.StringIO()
    settings = load_settings({**TEST_SECRETS, "LOG_TO_FILE": "true", "LOG_DIR": str(tmp_path), **extra},
                             env_file=None, environ={})
    configure_logging(settings, stream=stream)
    return stream


@pytest.fixture
def console(tmp_path: Path):
    stream = _configure(tmp_path)
    yield stream
    logging.getLogger().handlers[:] = [h for h in logging.getLogger().handlers
                                       if not getattr(h, "_openalgo_handler", False)]


def _file_text(tmp_path: Path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return (tmp_path / "openalgo.log").read_text()


def test_secret_argument_is_masked_on_console_and_in_file(console: io.StringIO, tmp_path: Path):
    get_logger("orders").info("key=%s", API_KEY)
    assert API_KEY not in console.getvalue() and "key=****" in console.getvalue()
    assert API_KEY not in _file_text(tmp_path) and "key=****" in _file_text(tmp_path)


@pytest.mark.parametrize("template", [
    "calling broker with Authorization: Bearer {s}",
    "headers={{'Authorization': 'token apikey123:{s}'}}",
    "GET /api/v1/instruments?apikey={s}&exchange=NSE",
    "payload {{\"apikey\": \"{s}\", \"symbol\": \"SBIN\"}}",
    "login password={s} user=admin",
    "client_secret: {s}",
    "X-API-KEY: {s}",
    "postgresql://trader:{s}@db.local/openalgo",
    "raw value {s} in text",
])
def test_common_secret_shapes_are_masked(console: io.StringIO, template: str):
    get_logger("broker").warning(template.format(s=API_KEY))
    assert API_KEY not in console.getvalue()


def test_secret_inside_exception_text_is_masked(console: io.StringIO, tmp_path: Path):
    try:
        raise RuntimeError(f"broker refused token={API_KEY}")
    except RuntimeError:
        get_logger("broker").exception("order failed")
    assert "RuntimeError" in console.getvalue()
    assert API_KEY not in console.getvalue() and API_KEY not in _file_text(tmp_path)


def test_configured_secrets_are_masked_wherever_they_appear(console: io.StringIO):
    get_logger("x").info("pepper is %s and app key %s", TEST_SECRETS["API_KEY_PEPPER"], TEST_SECRETS["APP_KEY"])
    output = console.getvalue()
    assert TEST_SECRETS["API_KEY_PEPPER"] not in output and TEST_SECRETS["APP_KEY"] not in output


def test_trading_details_are_not_masked(console: io.StringIO):
    line = "order 25112400001234 BUY 75 NIFTY30DEC2526000CE @ 142.5 on NFO token=48215 status=complete"
    get_logger("orders").info(line)
    output = console.getvalue()
    for part in ("25112400001234", "NIFTY30DEC2526000CE", "142.5", "status=complete"):
        assert part in output


def test_json_format_writes_one_object_per_line(tmp_path: Path):
    stream = _configure(tmp_path, LOG_FORMAT="json")
    try:
        get_logger("api").info("placed apikey=%s", API_KEY)
        record = json.loads(stream.getvalue().strip().splitlines()[-1])
        assert record["logger"] == "openalgo.api" and record["level"] == "INFO"
        assert API_KEY not in record["message"]
    finally:
        logging.getLogger().handlers[:] = [h for h in logging.getLogger().handlers
                                           if not getattr(h, "_openalgo_handler", False)]


def test_redaction_survives_broken_format_arguments():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "needs two %s %s", (API_KEY,), None)
    RedactionFilter().filter(record)
    assert API_KEY not in record.getMessage()


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colors_follow_terminal_no_color_ci_and_force_color(monkeypatch: pytest.MonkeyPatch):
    for name in ("NO_COLOR", "FORCE_COLOR", "CI"):
        monkeypatch.delenv(name, raising=False)
    assert colors_enabled(_Tty()) and not colors_enabled(io.StringIO())
    monkeypatch.setenv("CI", "true")
    assert not colors_enabled(_Tty())
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert colors_enabled(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not colors_enabled(_Tty())


def test_banner_lists_urls():
    text = render_banner("OpenAlgo is running", [("App", "http://127.0.0.1:5000"), ("WebSocket", "ws://127.0.0.1:8765")],
                         color=False)
    assert "http://127.0.0.1:5000" in text and "ws://127.0.0.1:8765" in text
    assert "\x1b[" in render_banner("t", [("App", "http://x")], color=True)
