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

from utils import setting_types as parse
from utils.setting_types import PLACEHOLDER_MARK, PROJECT_ROOT  # noqa: F401  (re-exported: start.sh, tests)
# OPENALGO_ENV_FILE points at another file, e.g. to run a second instance from the same folder.
DEFAULT_ENV_FILE = Path(os.environ.get("OPENALGO_ENV_FILE") or PROJECT_ROOT / ".env")

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


def _csv(raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def _broker_list(raw: str) -> tuple[str, ...]:
    names = tuple(name.lower() for name in _csv(raw))
    bad = [n for n in names if not re.fullmatch(r"[a-z][a-z0-9_]*", n)]
    if bad:
        raise ValueError(f"must be a comma-separated list of broker ids (lowercase letters, digits, _), "
                         f"got {', '.join(bad)}")
    return names


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

def _setting(default: str | None, parser: Callable[[str], Any], help: str, *, secret: bool = False) -> Any:
    """Declare a setting. `default=None` makes it required."""
    return field(default=None, metadata={"default": default, "parse": parser, "help": help, "secret": secret})


@dataclass(frozen=True)
class Settings:
    # Brokers (each broker's own settings are declared by its plugin: broker/<name>/, see .env.sample)
    VALID_BROKERS: tuple = _setting("paper", _broker_list, "comma-separated broker ids users may connect (the paper broker is always offered)")
    BROKER_HTTP_TIMEOUT: float = _setting("10", parse.float_between(1, 120), "seconds to wait for a broker's answer before the call fails as a network error")
    BROKER_HTTP_RETRIES: int = _setting("2", parse.int_between(0, 10), "retries of a broker call that never reached it or got 429/502/503/504 (order placements are never re-sent)")
    # Secrets of this installation
    APP_KEY: str = _setting(None, parse.secret, "signs browser sessions and CSRF tokens; 32+ random characters", secret=True)
    API_KEY_PEPPER: str = _setting(None, parse.secret, "keys the API-key digests and the encryption of stored secrets; 32+ random characters; never change it after setup", secret=True)
    # Databases
    DATABASE_URL: str = _setting("sqlite:///db/openalgo.db", _database_url, "main database: sqlite:///db/openalgo.db or postgresql://user:pass@host:5432/db", secret=True)
    LOGS_DATABASE_URL: str = _setting("sqlite:///db/logs.db", _database_url, "database for high-volume logs (traffic, latency)", secret=True)
    DB_POOL_SIZE: int = _setting("30", parse.int_between(1, 1000), "connections kept open per process (PostgreSQL); an order request uses up to 3 at once, so about 2-3x SERVER_THREADS")
    DB_MAX_OVERFLOW: int = _setting("20", parse.int_between(0, 1000), "extra connections allowed under load (PostgreSQL)")
    DB_POOL_TIMEOUT: int = _setting("30", parse.int_between(1, 3600), "seconds to wait for a free connection (PostgreSQL)")
    DB_POOL_RECYCLE: int = _setting("1800", parse.int_between(-1, 86400), "seconds after which a connection is replaced; -1 never (PostgreSQL)")
    # Web server
    HOST_SERVER: str = _setting("http://127.0.0.1:5000", parse.http_url, "public base URL of this server (https turns on Secure cookies)")
    FLASK_HOST_IP: str = _setting("127.0.0.1", parse.text, "address the web server binds to (0.0.0.0 for all interfaces)")
    FLASK_PORT: int = _setting("5000", parse.int_between(1, 65535), "port of the web server")
    FLASK_DEBUG: bool = _setting("false", parse.boolean, "true runs the Werkzeug debug server (never in production)")
    SERVER_THREADS: int = _setting("16", parse.int_between(1, 256), "worker threads of the production server started by python app.py")
    TRUSTED_PROXIES: int = _setting("0", parse.int_between(0, 10), "reverse proxies in front of the server whose X-Forwarded-For/-Proto headers are trusted (client IPs for rate limits and the audit log)")
    HEAVY_READ_WORKERS: int = _setting("1", parse.int_between(0, 32), "worker processes that run history requests apart from the order path (0: in the server's threads)")
    HEAVY_READ_QUEUE: int = _setting("8", parse.int_between(0, 1000), "history requests that may wait for a heavy-read worker; more get 503 with Retry-After")
    MAX_CONTENT_LENGTH: int = _setting("1048576", parse.int_between(1024, 1073741824), "largest accepted request body in bytes; larger ones get 413")
    # WebSocket proxy and ZeroMQ bus
    WEBSOCKET_HOST: str = _setting("127.0.0.1", parse.text, "address the WebSocket proxy binds to")
    WEBSOCKET_PORT: int = _setting("8765", parse.int_between(1, 65535), "port of the WebSocket proxy")
    WEBSOCKET_URL: str = _setting("", parse.text, "URL clients use for the feed; empty means ws://WEBSOCKET_HOST:WEBSOCKET_PORT")
    WEBSOCKET_PROXY_ENABLED: bool = _setting("true", parse.boolean, "python app.py also starts and supervises the WebSocket proxy")
    ZMQ_HOST: str = _setting("127.0.0.1", parse.text, "address of the ZeroMQ tick bus")
    ZMQ_PORT: int = _setting("5555", parse.int_between(1, 65535), "port of the ZeroMQ tick bus")
    ZMQ_FORWARDER_PORT: int = _setting("0", parse.int_between(0, 65535), "0: the proxy owns the bus on ZMQ_PORT; else the XPUB port of a shared forwarder (python -m websocket_proxy.forwarder) for several proxies")
    WEBSOCKET_AUTH_TIMEOUT: float = _setting("15", parse.float_between(1, 300), "seconds a feed client may stay connected without authenticating (closed with code 4401)")
    WEBSOCKET_SEND_BUFFER: int = _setting("65536", parse.int_between(4096, 67108864), "bytes buffered per feed client before its updates are coalesced (latest value per symbol)")
    WEBSOCKET_SLOW_CLIENT_TIMEOUT: float = _setting("5", parse.float_between(0.5, 300), "seconds a lagging feed client may take no data at all before it is disconnected (code 4008); slow readers get the latest values")
    WEBSOCKET_UPSTREAM_GRACE: float = _setting("5", parse.float_between(0, 3600), "seconds a user's broker feed stays open after the user's last client left")
    WEBSOCKET_MAX_SUBSCRIPTIONS: int = _setting("1000", parse.int_between(1, 100000), "most instrument subscriptions per feed connection")
    # Logging
    LOG_LEVEL: str = _setting("INFO", parse.choice("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", upper=True), "DEBUG, INFO, WARNING, ERROR or CRITICAL")
    LOG_FORMAT: str = _setting("text", parse.choice("text", "json"), "text for people, json for log collectors")
    LOG_TO_FILE: bool = _setting("false", parse.boolean, "also write logs to LOG_DIR, rotated daily")
    LOG_DIR: str = _setting("log", parse.text, "folder for log files (relative to the project folder unless absolute)")
    LOG_RETENTION: int = _setting("14", parse.int_between(1, 3650), "days of rotated log files to keep")
    # Rate limits (Flask-Limiter syntax)
    LOGIN_RATE_LIMIT_MIN: str = _setting("5 per minute", _rate_limit, "login attempts per minute, per IP and per username")
    LOGIN_RATE_LIMIT_HOUR: str = _setting("25 per hour", _rate_limit, "login attempts per hour, per IP and per username")
    API_RATE_LIMIT: str = _setting("50 per second", _rate_limit, "REST API calls per API key")
    ORDER_RATE_LIMIT: str = _setting("10 per second", _rate_limit, "order calls per API key")
    WEBHOOK_RATE_LIMIT: str = _setting("100 per minute", _rate_limit, "webhook alerts per strategy")
    INVALID_APIKEY_RATE_LIMIT: str = _setting("20 per minute", _rate_limit, "requests with an invalid API key per client IP before it gets 429")
    RATELIMIT_STORAGE_URI: str = _setting("memory://", _storage_uri, "memory:// for one process, redis://host:6379/0 when several share limits")
    # Trading behaviour and sessions
    SMART_ORDER_DELAY: float = _setting("0.5", parse.float_between(0, 60), "seconds between the legs of multi-order requests")
    SESSION_EXPIRY_TIME: str = _setting("03:00", parse.hhmm, "time of day (IST, HH:MM) when every browser session ends")
    STRATEGY_DIR: str = _setting("db/strategies", parse.text, "folder for hosted Python strategies' running copies and logs (relative to the project folder unless absolute)")
    STRATEGY_ALERT_RETENTION: int = _setting("30", parse.int_between(1, 3650), "days finished strategy alerts (webhooks, square-offs) are kept; older ones are deleted hourly by the strategy scheduler")
    # CORS for the REST API
    CORS_ENABLED: bool = _setting("false", parse.boolean, "answer cross-origin requests to /api/v1/*")
    CORS_ALLOWED_ORIGINS: tuple = _setting("", _csv, "comma-separated origins allowed to call the API, e.g. https://example.com")
    CORS_ALLOWED_METHODS: tuple = _setting("GET,POST", _csv, "comma-separated HTTP methods allowed cross-origin")
    CORS_ALLOWED_HEADERS: tuple = _setting("Content-Type,X-API-KEY", _csv, "comma-separated request headers allowed cross-origin")
    CORS_ALLOW_CREDENTIALS: bool = _setting("false", parse.boolean, "allow cookies on cross-origin requests")
    CORS_MAX_AGE: int = _setting("86400", parse.int_between(0, 604800), "seconds browsers may cache a preflight answer")

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

    def source_values(self) -> Mapping[str, Any]:
        """Every value read (.env, environment, overrides) by name, unparsed: where broker plugins'
        own settings are resolved from. Empty for Settings built by hand."""
        return getattr(self, "_sources", {})

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
    settings = Settings(**values)
    # Broker plugins declare their own settings (broker/contract/settings.py); the registry reads them
    # from the same sources, so they are kept here unparsed (never shown, never handed out whole).
    object.__setattr__(settings, "_sources", dict(raw))
    return settings
