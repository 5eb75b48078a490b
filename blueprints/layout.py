"""What every page's layout needs: the navigation, the broker session badge and the analyzer flag.

Registered as an app-wide context processor, so any template extending base.html gets `layout`. It
must never break a page: when the database is unreachable (error pages) it falls back to defaults.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

from blueprints import web_session
from services import api_keys, broker_session, order_target
from services.brokers import registry
from utils.logging import get_logger
from utils.net import port_open

log = get_logger(__name__)

NAV = (("dashboard.dashboard", "Dashboard"), ("books.orderbook", "Orders"), ("books.tradebook", "Trades"),
       ("books.positions_page", "Positions"), ("books.holdings", "Holdings"), ("reports.pnl", "P&L"),
       ("market.search", "Search"),
       ("strategies.index", "Strategies"), ("analyzer_page.analyzer", "Analyzer"), ("broker_pages.broker", "Broker"),
       ("account.apikey", "API key"))

_BADGES = {"connected": "text-bg-success", "expired": "text-bg-warning", "disconnected": "text-bg-secondary",
           "none": "text-bg-secondary"}


@dataclass(frozen=True)
class BrokerBadge:
    state: str = "none"
    broker: str | None = None
    display_name: str = ""

    @property
    def badge(self) -> str:
        return _BADGES.get(self.state, "text-bg-secondary")

    @property
    def short_name(self) -> str:
        return self.display_name.split(" - ")[0]

    @property
    def label(self) -> str:
        if self.state == "connected":
            return f"{self.short_name} · connected"
        if self.state == "expired":
            return f"{self.short_name} · session expired"
        return "No broker connected"


@dataclass(frozen=True)
class Layout:
    broker: BrokerBadge = field(default_factory=BrokerBadge)
    analyzer_on: bool = False
    nav: tuple[tuple[str, str], ...] = NAV


def display_name(broker: str | None) -> str:
    if not broker:
        return ""
    entry = registry().entries.get(broker)
    return entry.plugin.manifest.display_name if entry is not None and entry.plugin is not None else broker


def broker_badge(user_id: int) -> BrokerBadge:
    info = broker_session.state(user_id)
    return BrokerBadge(state=info["state"], broker=info["broker"], display_name=display_name(info["broker"]))


def _layout() -> dict[str, Any]:
    try:
        user = web_session.current_user()
        if user is None:
            return {"layout": Layout()}
        return {"layout": Layout(broker=broker_badge(user.id), analyzer_on=order_target.analyzer_on(user.id))}
    except Exception:  # noqa: BLE001 — an error page must render even when the database is down
        log.debug("layout defaults used", exc_info=True)
        return {"layout": Layout()}


def register(app: Flask) -> None:
    app.context_processor(_layout)


def feed_url(user_id: int) -> str | None:
    """The WebSocket proxy's URL for a page that follows it (live ticks, the user's order events), when
    it is up and the user has an API key to sign in with (the page asks for the key through the
    CSRF-protected reveal call, like the API key page); None: the page does without."""
    settings = current_app.extensions["openalgo.settings"]
    if api_keys.masked(user_id) is None or not port_open(settings.WEBSOCKET_HOST, settings.WEBSOCKET_PORT):
        return None
    return settings.websocket_url
