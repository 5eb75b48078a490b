"""The app's broker registry: discovered once per app at start, reachable from services and the CLI."""
from __future__ import annotations

from flask import Flask, current_app

from broker.http import DEFAULT_CONNECT_TIMEOUT
from broker.registry import BrokerRegistry
from services import events
from services.instrument_cache import cache_for
from services.order_events import OrderEventSink
from utils import clock
from utils.config import ConfigError, Settings

_EXTENSION = "openalgo.brokers"
_ORDER_EVENTS = "openalgo.order_events"
# Flask config keys (tests add packages of test plugins, or one plugin module by name); not user settings.
PLUGIN_PACKAGES_KEY = "BROKER_PLUGIN_PACKAGES"
PLUGIN_MODULES_KEY = "BROKER_PLUGIN_MODULES"


def init_app(app: Flask, settings: Settings) -> BrokerRegistry:
    """Discover the plugins. Each reads only its own declared settings from the app's sources; an invalid
    value of an enabled broker (VALID_BROKERS, or paper) stops the start like an invalid app setting."""
    sink = OrderEventSink(f"tcp://{settings.ZMQ_HOST}:{settings.ZMQ_PORT}", on_change=events.book_changed,
                          eager=not app.testing)
    app.extensions[_ORDER_EVENTS] = sink
    registry = BrokerRegistry(settings.source_values(), valid_brokers=settings.VALID_BROKERS,
                              rate_limit_storage=settings.RATELIMIT_STORAGE_URI,
                              symbols_for=lambda name: cache_for(name, app),
                              http_timeout=(DEFAULT_CONNECT_TIMEOUT, settings.BROKER_HTTP_TIMEOUT),
                              http_retries=settings.BROKER_HTTP_RETRIES,
                              on_order_update=events.book_changed, on_order_event=sink.publish,
                              clock=clock.for_app(app))
    registry.discover(app.config.get(PLUGIN_PACKAGES_KEY, ("broker",)))
    for name, module in app.config.get(PLUGIN_MODULES_KEY, {}).items():
        registry.load(name, module)
    problems = [problem for entry in registry.list() if entry.allowed for problem in entry.setting_problems]
    if problems:
        raise ConfigError(problems)
    app.extensions[_EXTENSION] = registry
    return registry


def registry(app: Flask | None = None) -> BrokerRegistry:
    return (app or current_app).extensions[_EXTENSION]


def order_events(app: Flask | None = None) -> OrderEventSink:
    """This process's order-event sink (see services/order_events.py)."""
    return (app or current_app).extensions[_ORDER_EVENTS]


def watch_paper(app: Flask) -> None:
    """Start the paper broker's background matcher when orders rest or GTTs wait from an earlier run
    (otherwise it starts with the first resting order), so they fill and trigger without a request.
    Users whose sandbox runs on a live market get their live-bound matcher from the square-off scheduler,
    once per deployment (services/sandbox_ticks.resume), not from every worker."""
    from database.paper import open_intraday_positions, users_with_resting_orders

    entry = registry(app).entries.get("paper")
    if entry is None or entry.plugin is None:
        return
    with app.app_context():
        if users_with_resting_orders() or open_intraday_positions():   # MIS positions await their square-off
            entry.plugin.orders.matcher.ensure_started()
