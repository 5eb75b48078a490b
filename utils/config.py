"""The one place that reads settings.

Sources, lowest precedence first: the `.env` file (python-dotenv), the real process environment, then
explicit overrides (tests, `create_app(config)`). Every setting is declared once, as a field of
`Settings` with its parser, default, help line and whether it is a secret; `.env.sample` documents the
same list and a test keeps the two in step. Validation collects *every* problem before failing, so a
user fixes their configuration in one pass.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

from dotenv import dotenv_values

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# OPENALGO_ENV_FILE points at another file, e.g. to run a second instance from the same folder.
DEFAULT_ENV_FILE = Path(os.environ.get("OPENALGO_ENV_FILE") or PROJECT_ROOT / ".env")

# Values shipped in .env.sample; start.sh replaces them with fresh random secrets. A server must never
# run with a secret anyone can read on the internet.
PLACEHOLDER_MARK = "change-me"


class ConfigError(Exception):
    """Raised with the full list of configuration problems."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(self.render())

    def render(self) -> str:
        lines = [f"Invalid configuration ({len(self.problems)} problem{'s' * (len(self.problems) != 1)}):"]
        lines += [f"  - {p}" for p in self.problems]
        lines.append("Fix these in .env (see .env.sample for every setting) or in the environment.")
        return "\n".join(lines)


# ----------------------------------------------------------------------------------------- parsers
# Each parser takes the raw string and returns the typed value, or raises ValueError whose text says
# what is expected. The field name is added by the loader.

def _text(raw: str) -> str:
    return raw.strip()


def _secret(raw: str) -> str:
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


def _optional_secret(raw: str) -> str:
    value = raw.strip()
    if PLACEHOLDER_MARK in value:
        raise ValueError("still has the placeholder value from .env.sample; set your own value or leave it empty")
    return value


def _int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise ValueError(f"must be a whole number between {low} and {high}, got {raw!r}") from None
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}, got {value}")
        return value
    return parse


def _float_between(low: float, high: float) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            value = float(raw.strip())
        except ValueError:
            raise ValueError(f"must be a number between {low} and {high}, got {raw!r}") from None
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}, got {value}")
        return value
    return parse


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"must be true or false, got {raw!r}")


def _choice(*allowed: str, upper: bool = False) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().upper() if upper else raw.strip().lower()
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}, got {raw!r}")
        return value
    return parse


def _csv(raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def _broker_list(raw: str) -> tuple[str, ...]:
    names = tuple(name.lower() for name in _csv(raw))
    bad = [n for n in names if not re.fullmatch(r"[a-z][a-z0-9_]*", n)]
    if bad:
        raise ValueError(f"must be a comma-separated list of broker ids (lowercase letters, digits, _), "
                         f"got {', '.join(bad)}")
    return names


def _http_url(raw: str) -> str:
    value = raw.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"must be an http:// or https:// URL, got {raw!r}")
    return value


def _optional_http_url(raw: str) -> str:
    return _http_url(raw) if raw.strip() else ""


def _hhmm(raw: str) -> str:
    value = raw.strip()
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", value)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"must be a time of day as HH:MM (24-hour, IST), got {raw!r}")
    return f"{int(match[1]):02d}:{match[2]}"


def _optional_file(raw: str) -> str:
    """An existing file (relative paths from the project folder), or empty."""
    value = raw.strip()
    if value and not (Path(value) if Path(value).is_absolute() else PROJECT_ROOT / value).is_file():
        raise ValueError(f"must be an existing file (absolute, or relative to {PROJECT_ROOT}), got {raw!r}")
    return value


def _rate_limit(raw: str) -> str:
    from limits import parse_many  # the library Flask-Limiter uses, so we accept exactly its syntax

    value = raw.strip()
    try:
        if not parse_many(value):
            raise ValueError
    except ValueError:
        raise ValueError(f"must be a rate limit such as '10 per second' or '5/minute;25/hour', got {raw!r}") from None
    return value


def _storage_uri(raw: str) -> str:
    value = raw.strip()
    scheme = urlsplit(value).scheme
    if scheme not in ("memory", "redis", "rediss", "redis+unix"):
        raise ValueError(f"must be memory:// or a redis:// URL, got {raw!r}")
    return value


def _database_url(raw: str) -> str:
    """Accept sqlite and PostgreSQL URLs; PostgreSQL is normalized to the psycopg 3 driver."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    value = raw.strip()
    expected = "expected sqlite:///path/to/file.db or postgresql://user:password@host:5432/dbname"
    if value.startswith("postgres://"):  # the short form some hosting providers hand out
        value = "postgresql://" + value[len("postgres://"):]
    try:
        url = make_url(value)
    except ArgumentError:
        raise ValueError(f"is not a valid database URL; {expected}") from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise ValueError(f"must name a database file; {expected}")
        return value
    if backend == "postgresql":
        if not url.database:
            raise ValueError(f"must name the database; {expected}")
        if url.drivername in ("postgresql", "postgresql+psycopg2"):
            url = url.set(drivername="postgresql+psycopg")
        return url.render_as_string(hide_password=False)
    raise ValueError(f"uses the unsupported backend {backend!r}; {expected}")


# ----------------------------------------------------------------------------------------- settings

def _setting(default: str | None, parse: Callable[[str], Any], help: str, *, secret: bool = False) -> Any:
    """Declare a setting. `default=None` makes it required."""
    return field(default=None, metadata={"default": default, "parse": parse, "help": help, "secret": secret})


@dataclass(frozen=True)
class Settings:
    # Broker credentials and choice
    BROKER_API_KEY: str = _setting("", _optional_secret, "API key of your broker app (not needed for the paper broker)", secret=True)
    BROKER_API_SECRET: str = _setting("", _optional_secret, "API secret of your broker app", secret=True)
    BROKER_API_KEY_MARKET: str = _setting("", _optional_secret, "separate market-data API key, for brokers that issue one", secret=True)
    BROKER_API_SECRET_MARKET: str = _setting("", _optional_secret, "separate market-data API secret", secret=True)
    REDIRECT_URL: str = _setting("", _optional_http_url, "OAuth callback registered with the broker, e.g. http://127.0.0.1:5000/zerodha/callback")
    VALID_BROKERS: tuple = _setting("paper", _broker_list, "comma-separated broker ids users may connect (the paper broker is always offered)")
    BROKER_HTTP_TIMEOUT: float = _setting("10", _float_between(1, 120), "seconds to wait for a broker's answer before the call fails as a network error")
    BROKER_HTTP_RETRIES: int = _setting("2", _int_between(0, 10), "retries of a broker call that never reached it or got 429/502/503/504 (order placements are never re-sent)")
    ZERODHA_API_URL: str = _setting("", _optional_http_url, "tests only: base URL of a fake Kite REST server (empty: https://api.kite.trade)")
    ZERODHA_TICKER_URL: str = _setting("", _text, "tests only: URL of a fake Kite ticker WebSocket (empty: wss://ws.kite.trade)")
    # Secrets of this installation
    APP_KEY: str = _setting(None, _secret, "signs browser sessions and CSRF tokens; 32+ random characters", secret=True)
    API_KEY_PEPPER: str = _setting(None, _secret, "keys the API-key digests and the encryption of stored secrets; 32+ random characters; never change it after setup", secret=True)
    # Databases
    DATABASE_URL: str = _setting("sqlite:///db/openalgo.db", _database_url, "main database: sqlite:///db/openalgo.db or postgresql://user:pass@host:5432/db", secret=True)
    LOGS_DATABASE_URL: str = _setting("sqlite:///db/logs.db", _database_url, "database for high-volume logs (traffic, latency)", secret=True)
    DB_POOL_SIZE: int = _setting("30", _int_between(1, 1000), "connections kept open per process (PostgreSQL); an order request uses up to 3 at once, so about 2-3x SERVER_THREADS")
    DB_MAX_OVERFLOW: int = _setting("20", _int_between(0, 1000), "extra connections allowed under load (PostgreSQL)")
    DB_POOL_TIMEOUT: int = _setting("30", _int_between(1, 3600), "seconds to wait for a free connection (PostgreSQL)")
    DB_POOL_RECYCLE: int = _setting("1800", _int_between(-1, 86400), "seconds after which a connection is replaced; -1 never (PostgreSQL)")
    # Web server
    HOST_SERVER: str = _setting("http://127.0.0.1:5000", _http_url, "public base URL of this server (https turns on Secure cookies)")
    FLASK_HOST_IP: str = _setting("127.0.0.1", _text, "address the web server binds to (0.0.0.0 for all interfaces)")
    FLASK_PORT: int = _setting("5000", _int_between(1, 65535), "port of the web server")
    FLASK_DEBUG: bool = _setting("false", _bool, "true runs the Werkzeug debug server (never in production)")
    SERVER_THREADS: int = _setting("16", _int_between(1, 256), "worker threads of the production server started by python app.py")
    TRUSTED_PROXIES: int = _setting("0", _int_between(0, 10), "reverse proxies in front of the server whose X-Forwarded-For/-Proto headers are trusted (client IPs for rate limits and the audit log)")
    MAX_CONTENT_LENGTH: int = _setting("1048576", _int_between(1024, 1073741824), "largest accepted request body in bytes; larger ones get 413")
    # WebSocket proxy and ZeroMQ bus
    WEBSOCKET_HOST: str = _setting("127.0.0.1", _text, "address the WebSocket proxy binds to")
    WEBSOCKET_PORT: int = _setting("8765", _int_between(1, 65535), "port of the WebSocket proxy")
    WEBSOCKET_URL: str = _setting("", _text, "URL clients use for the feed; empty means ws://WEBSOCKET_HOST:WEBSOCKET_PORT")
    WEBSOCKET_PROXY_ENABLED: bool = _setting("true", _bool, "python app.py also starts and supervises the WebSocket proxy")
    ZMQ_HOST: str = _setting("127.0.0.1", _text, "address of the ZeroMQ tick bus")
    ZMQ_PORT: int = _setting("5555", _int_between(1, 65535), "port of the ZeroMQ tick bus")
    ZMQ_FORWARDER_PORT: int = _setting("0", _int_between(0, 65535), "0: the proxy owns the bus on ZMQ_PORT; else the XPUB port of a shared forwarder (python -m websocket_proxy.forwarder) for several proxies")
    WEBSOCKET_AUTH_TIMEOUT: float = _setting("15", _float_between(1, 300), "seconds a feed client may stay connected without authenticating (closed with code 4401)")
    WEBSOCKET_SEND_BUFFER: int = _setting("65536", _int_between(4096, 67108864), "bytes buffered per feed client before its updates are coalesced (latest value per symbol)")
    WEBSOCKET_SLOW_CLIENT_TIMEOUT: float = _setting("5", _float_between(0.5, 300), "seconds a lagging feed client may take no data at all before it is disconnected (code 4008); slow readers get the latest values")
    WEBSOCKET_UPSTREAM_GRACE: float = _setting("5", _float_between(0, 3600), "seconds a user's broker feed stays open after the user's last client left")
    WEBSOCKET_MAX_SUBSCRIPTIONS: int = _setting("1000", _int_between(1, 100000), "most instrument subscriptions per feed connection")
    # Logging
    LOG_LEVEL: str = _setting("INFO", _choice("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", upper=True), "DEBUG, INFO, WARNING, ERROR or CRITICAL")
    LOG_FORMAT: str = _setting("text", _choice("text", "json"), "text for people, json for log collectors")
    LOG_TO_FILE: bool = _setting("false", _bool, "also write logs to LOG_DIR, rotated daily")
    LOG_DIR: str = _setting("log", _text, "folder for log files (relative to the project folder unless absolute)")
    LOG_RETENTION: int = _setting("14", _int_between(1, 3650), "days of rotated log files to keep")
    # Rate limits (Flask-Limiter syntax)
    LOGIN_RATE_LIMIT_MIN: str = _setting("5 per minute", _rate_limit, "login attempts per minute, per IP and per username")
    LOGIN_RATE_LIMIT_HOUR: str = _setting("25 per hour", _rate_limit, "login attempts per hour, per IP and per username")
    API_RATE_LIMIT: str = _setting("50 per second", _rate_limit, "REST API calls per API key")
    ORDER_RATE_LIMIT: str = _setting("10 per second", _rate_limit, "order calls per API key")
    WEBHOOK_RATE_LIMIT: str = _setting("100 per minute", _rate_limit, "webhook alerts per strategy")
    INVALID_APIKEY_RATE_LIMIT: str = _setting("20 per minute", _rate_limit, "requests with an invalid API key per client IP before it gets 429")
    RATELIMIT_STORAGE_URI: str = _setting("memory://", _storage_uri, "memory:// for one process, redis://host:6379/0 when several share limits")
    # Trading behaviour and sessions
    SMART_ORDER_DELAY: float = _setting("0.5", _float_between(0, 60), "seconds between the legs of multi-order requests")
    SESSION_EXPIRY_TIME: str = _setting("03:00", _hhmm, "time of day (IST, HH:MM) when every browser session ends")
    STRATEGY_DIR: str = _setting("db/strategies", _text, "folder for hosted Python strategies' running copies and logs (relative to the project folder unless absolute)")
    # Paper broker (the built-in simulator)
    PAPER_CAPITAL: float = _setting("10000000", _float_between(1000, 1e12), "virtual capital of each paper account in INR (default one crore)")
    PAPER_SLIPPAGE: float = _setting("0.0005", _float_between(0, 0.05), "paper MARKET orders fill this fraction beyond the touch (0.0005 = 0.05%)")
    PAPER_SESSION: str = _setting("always", _choice("always", "exchange"), "always: a simulated market open around the clock; exchange: real NSE/BSE/MCX hours")
    PAPER_SQUAREOFF_TIME: str = _setting("15:15", _hhmm, "time of day (IST, HH:MM) when open paper MIS positions are squared off")
    PAPER_TICK_INTERVAL_MS: int = _setting("250", _int_between(50, 60000), "milliseconds between the paper broker's streamed ticks")
    PAPER_SEED: int = _setting("0", _int_between(0, 2**31 - 1), "seed of the paper price process; every process with the same seed sees the same prices")
    PAPER_REPLAY_FILE: str = _setting("", _optional_file, "CSV of recorded NIFTY ticks (timestamp,last_price) replayed each paper day, e.g. broker/paper/data/nifty50_ticks_2022-07-01.csv; empty: off")
    # CORS for the REST API
    CORS_ENABLED: bool = _setting("false", _bool, "answer cross-origin requests to /api/v1/*")
    CORS_ALLOWED_ORIGINS: tuple = _setting("", _csv, "comma-separated origins allowed to call the API, e.g. https://example.com")
    CORS_ALLOWED_METHODS: tuple = _setting("GET,POST", _csv, "comma-separated HTTP methods allowed cross-origin")
    CORS_ALLOWED_HEADERS: tuple = _setting("Content-Type,X-API-KEY", _csv, "comma-separated request headers allowed cross-origin")
    CORS_ALLOW_CREDENTIALS: bool = _setting("false", _bool, "allow cookies on cross-origin requests")
    CORS_MAX_AGE: int = _setting("86400", _int_between(0, 604800), "seconds browsers may cache a preflight answer")

    # -------------------------------------------------------------------------------------- helpers
    @property
    def websocket_url(self) -> str:
        return self.WEBSOCKET_URL or f"ws://{self.WEBSOCKET_HOST}:{self.WEBSOCKET_PORT}"

    @property
    def strategy_dir(self) -> Path:
        path = Path(self.STRATEGY_DIR)
        return path if path.is_absolute() else PROJECT_ROOT / path

    @property
    def log_dir(self) -> Path:
        path = Path(self.LOG_DIR)
        return path if path.is_absolute() else PROJECT_ROOT / path

    def secret_values(self) -> list[str]:
        """Values that must never appear in a log line or a response."""
        values = [getattr(self, f.name) for f in fields(self) if f.metadata["secret"]]
        return [v for v in values if isinstance(v, str) and len(v) >= 8 and "://" not in v]

    def describe(self) -> list[tuple[str, str]]:
        """(name, printable value) pairs, secrets masked; for `config check`."""
        from sqlalchemy.engine import make_url

        rows = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name.endswith("DATABASE_URL"):
                shown = make_url(value).render_as_string(hide_password=True)
            elif f.metadata["secret"]:
                shown = "(set)" if value else "(empty)"
            elif isinstance(value, tuple):
                shown = ",".join(value)
            else:
                shown = str(value)
            rows.append((f.name, shown))
        return rows


def setting_specs() -> list[tuple[str, str | None, str, bool]]:
    """(name, default, help, secret) for every setting, in declaration order."""
    return [(f.name, f.metadata["default"], f.metadata["help"], f.metadata["secret"]) for f in fields(Settings)]


def load_settings(overrides: Mapping[str, Any] | None = None, *,
                  env_file: str | os.PathLike | None = DEFAULT_ENV_FILE,
                  environ: Mapping[str, str] | None = None) -> Settings:
    """Read, parse and validate every setting; raise ConfigError listing every problem at once."""
    raw: dict[str, Any] = {}
    if env_file is not None and Path(env_file).is_file():
        raw.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    environ = os.environ if environ is None else environ
    raw.update(environ)
    raw.update(overrides or {})

    values: dict[str, Any] = {}
    problems: list[str] = []
    for f in fields(Settings):
        meta = f.metadata
        given = raw.get(f.name)
        if given is not None and not isinstance(given, str):
            values[f.name] = given  # already typed (tests, programmatic use)
            continue
        text = given if given is not None else meta["default"]
        if text is None:
            problems.append(f"{f.name} is missing; {meta['help']}")
            continue
        try:
            values[f.name] = meta["parse"](text)
        except ValueError as exc:  # parsers never echo a secret's value
            problems.append(f"{f.name} {exc}")
    if problems:
        raise ConfigError(problems)
    return Settings(**values)
