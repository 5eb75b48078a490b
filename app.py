"""OpenAlgo server: the application factory and the `python app.py` launcher.

`create_app(config)` builds the Flask app (used by tests, the Flask CLI and `gunicorn 'app:create_app()'`);
`python app.py` validates the configuration, starts the WebSocket proxy, listens, prints the banner once
both the app and the proxy accept connections (a script that waits for the banner or for /health 200
can open the WebSocket at once), then serves with a threaded production server (waitress), or the
Werkzeug debug server when FLASK_DEBUG is true.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
from dataclasses import fields
from typing import Any, Callable, Mapping, NoReturn

from flask import Flask

import cli
import database
import restx_api
from restx_api import heavy_reads
from blueprints import (account, analyzer_page, auth, books, broker_pages, dashboard, errors, events, health, home,
                        layout, market, postbacks, reports, strategies, web_security, webhooks)
from database import migrate
from services import brokers, order_journal, strategy_worker
from utils import json_body, limiter
from utils.config import DEFAULT_ENV_FILE, ConfigError, Settings, load_settings
from utils.logging import configure_logging, get_logger, print_banner

_SETTING_NAMES = {f.name for f in fields(Settings)}
log = get_logger("app")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. `config` may hold settings (override .env and the environment), Flask config
    keys (e.g. TESTING), `ENV_FILE` (path or None) and `AUTO_MIGRATE` (default True)."""
    overrides = dict(config or {})
    given = dict(overrides)   # heavy-read worker processes build their app from the same
    env_file = overrides.pop("ENV_FILE", DEFAULT_ENV_FILE)
    auto_migrate = overrides.pop("AUTO_MIGRATE", True)
    flask_config = {key: overrides.pop(key) for key in list(overrides) if key not in _SETTING_NAMES}
    try:
        # every override is a source: broker plugins read their own settings (ZERODHA_API_KEY, ...) from it
        settings = load_settings({**overrides, **flask_config}, env_file=env_file)
    except ConfigError as exc:
        _config_error(exc)
    configure_logging(settings)

    app = Flask(__name__)
    json_body.install(app)   # strict JSON: depth, huge numbers and lone surrogates are 400s, not 500s
    app.config.update(
        SECRET_KEY=settings.APP_KEY,
        MAX_CONTENT_LENGTH=settings.MAX_CONTENT_LENGTH,
    )
    app.config.update(flask_config)
    app.json.sort_keys = False  # keep the contract's field order in responses
    app.extensions["openalgo.settings"] = settings

    database.init_app(app, settings)
    try:
        brokers.init_app(app, settings)
    except ConfigError as exc:   # an enabled broker's own setting is invalid
        _config_error(exc)
    errors.register(app)
    limiter.init_app(app)
    web_security.register(app)
    restx_api.init_app(app)
    heavy_reads.init_app(app, given)
    layout.register(app)
    for blueprint in (health.bp, home.bp, auth.bp, account.bp, dashboard.bp, broker_pages.bp, books.bp, events.bp,
                      market.bp, analyzer_page.bp, webhooks.bp, strategies.bp, postbacks.bp, reports.bp):
        app.register_blueprint(blueprint)
    cli.init_app(app)
    order_journal.init_app(app)

    if auto_migrate:
        with app.app_context():
            migrate.upgrade(database.db.engine)
    # queued webhook alerts run in every serving process (not in CLI commands; tests start it on demand)
    strategy_worker.init_app(app, start=not app.testing and not _run_by_flask_cli())
    if not app.testing and not _run_by_flask_cli() and app.config.get("STRATEGY_WORKER", True):  # serving
        brokers.watch_paper(app)   # resting paper orders and GTTs left by the last run keep being matched
    return app


def _run_by_flask_cli() -> bool:
    return os.path.basename(sys.argv[0]) in ("flask", "flask.exe") or sys.argv[0].endswith("flask/__main__.py")


def _config_error(exc: ConfigError) -> NoReturn:
    if _run_by_flask_cli():
        _print_config_error(exc)
        sys.exit(2)
    raise exc


def _print_config_error(exc: ConfigError) -> None:
    from colorama import Fore, Style

    from utils.logging import colors_enabled

    text = exc.render()
    if colors_enabled(sys.stderr):
        text = f"{Fore.RED}{text}{Style.RESET_ALL}"
    print(text, file=sys.stderr, flush=True)


def banner_rows(settings: Settings, server: str) -> list[tuple[str, str]]:
    from sqlalchemy.engine import make_url

    base = settings.HOST_SERVER
    return [
        ("App", base),
        ("Swagger UI", f"{base}/api/docs"),
        ("WebSocket", settings.websocket_url),
        ("Health", f"{base}/health"),
        ("Database", make_url(settings.DATABASE_URL).render_as_string(hide_password=True)),
        ("Server", server),
        ("Log level", settings.LOG_LEVEL),
    ]


PROXY_START_SECONDS = 30.0


def _announce(settings: Settings, proxy: Any, rows: list[tuple[str, str]]) -> None:
    """The banner, once the proxy accepts connections too (the app already listens)."""
    if proxy is not None and not proxy.wait_listening(settings.WEBSOCKET_HOST, settings.WEBSOCKET_PORT,
                                                      PROXY_START_SECONDS):
        log.error("The WebSocket proxy is not accepting connections on %s; /health answers 503 until it "
                  "does. The REST API keeps working.", settings.websocket_url)
        rows = [(name, f"{value} (not running)" if name == "WebSocket" else value) for name, value in rows]
    print_banner("OpenAlgo is running", rows)


def _listen(app: Flask, settings: Settings) -> Callable[[], None]:
    """Bind and listen on FLASK_HOST_IP:FLASK_PORT now (OSError if the port is taken); returns the
    blocking serve loop."""
    host, port = settings.FLASK_HOST_IP, settings.FLASK_PORT
    if settings.FLASK_DEBUG:
        from werkzeug.debug import DebuggedApplication
        from werkzeug.serving import make_server

        app.debug = True
        return make_server(host, port, DebuggedApplication(app, evalex=True), threaded=True).serve_forever
    from waitress import create_server

    # waitress reads the body before Flask answers; let bodies somewhat over the limit through so Flask
    # sends the JSON 413, and stop absurd ones at the socket.
    return create_server(app, host=host, port=port, threads=settings.SERVER_THREADS, ident="openalgo",
                         max_request_body_size=max(16 * 1024 * 1024, 4 * settings.MAX_CONTENT_LENGTH)).run


def main() -> int:
    try:
        settings = load_settings()
    except ConfigError as exc:
        _print_config_error(exc)
        return 2
    app = create_app()
    host, port = settings.FLASK_HOST_IP, settings.FLASK_PORT
    server = "Werkzeug debug server (FLASK_DEBUG=true)" if settings.FLASK_DEBUG else \
        f"waitress, {settings.SERVER_THREADS} threads"
    # SIGTERM (service managers, `kill`) shuts down like Ctrl-C instead of dying mid-request.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    from websocket_proxy.launcher import start_proxy

    from services import strategy_squareoff

    proxy = start_proxy(settings)
    squareoff = None
    try:
        # the square-off scheduler and hosted-strategy supervisor run here, once per deployment
        squareoff = strategy_squareoff.start(app)
        serve_forever = _listen(app, settings)   # bound and listening from here on
        threading.Thread(target=_announce, args=(settings, proxy, banner_rows(settings, server)), daemon=True,
                         name="banner").start()
        serve_forever()   # /health answers 503 "starting" meanwhile
    except OSError as exc:
        log.error("Cannot listen on %s:%s: %s (is another server already using the port? "
                  "set FLASK_PORT)", host, port, exc.strerror or exc)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        if squareoff is not None:
            squareoff.stop()
        if proxy is not None:
            proxy.stop()
    log.info("OpenAlgo stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
