"""Production wiring of the proxy to the rest of the server: API keys, master contract, broker adapters.

The proxy core (server.py) takes these as plain awaitables so it can be tested and benchmarked alone.
Here they are bound to the real services, imported lazily because they belong to other parts of the
code base (and may be missing in a partial install, which is logged once, clearly):

* API keys: `services.auth.verify_api_key(api_key) -> principal | None`, then the user's live broker
  session (`services.broker_session`) decides which broker streams to them (paper when none is live),
  called in an app context on a small thread pool: indexed look-ups, never run on the event loop.
* Master contract: `services.instrument_cache.find_instrument(broker, symbol, exchange)`.
* Feed adapters: the broker plugin, taken from the app's broker registry (services.brokers) like every
  other use of a broker, builds one with `BrokerPlugin.feed(session, publisher)`. Only brokers users may
  connect (VALID_BROKERS, and paper) stream: disabling a broker there removes it from the proxy too.
"""
from __future__ import annotations

import asyncio
import importlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from broker.contract import BrokerSession
from broker.streaming import FeedAdapter, TickPublisher
from utils.config import Settings
from utils.logging import get_logger
from websocket_proxy.upstream import Principal

log = get_logger("websocket_proxy.wiring")

DEFAULT_BROKER = "paper"


def _optional(module: str, name: str) -> Any:
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


class ProductionWiring:
    """Authenticator, symbol look-up and adapter factory backed by the app's services and database."""

    def __init__(self, settings: Settings, app: Any = None):
        self.settings = settings
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="feed-lookup")
        self._app = app
        self._verify = _optional("services.auth", "verify_api_key")
        self._find = _optional("services.instrument_cache", "find_instrument")
        if self._verify is None:
            log.error("API-key verification (services.auth) is not available: every feed client is refused")
        if self._find is None:
            log.warning("Master-contract look-up (services.instrument_cache) is not available: symbols are not checked")

    def app(self) -> Any:
        if self._app is None:
            from app import create_app

            # the app process runs the migrations and the webhook-alert worker; the proxy only reads
            self._app = create_app({"AUTO_MIGRATE": False, "STRATEGY_WORKER": False})
        return self._app

    async def authenticate(self, api_key: str) -> Principal | None:
        if self._verify is None:
            return None
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._verify_sync, api_key)

    def _verify_sync(self, api_key: str) -> Principal | None:
        with self.app().app_context():
            found = self._verify(api_key)
            if found is None:
                return None
            broker, credentials = self._feed_of(found.user_id)
        return Principal(found.user_id, found.username, broker, credentials)

    @staticmethod
    def _feed_of(user_id: int) -> tuple[str, Any]:
        """The user's live broker session feeds them; without one they get the paper market."""
        from broker.errors import AuthError
        from services import broker_session

        try:
            live = broker_session.live_session(user_id)
        except AuthError:  # none, or expired: the auth reply names the broker actually streaming
            return DEFAULT_BROKER, None
        return live.plugin.manifest.name, live.session

    async def lookup_symbol(self, symbol: str, exchange: str, broker: str) -> Any:
        if self._find is None:
            return True
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._find_sync, symbol, exchange, broker)

    def _find_sync(self, symbol: str, exchange: str, broker: str) -> Any:
        with self.app().app_context():
            return self._find(broker, symbol, exchange)

    @property
    def brokers(self) -> tuple[str, ...]:
        """What `get_supported_brokers` answers: the brokers users may connect on this server."""
        return tuple(dict.fromkeys((DEFAULT_BROKER, *self.registry().connectable())))

    def registry(self) -> Any:
        from services.brokers import registry

        return registry(self.app())

    def adapter_factory(self, principal: Principal, publisher: TickPublisher) -> FeedAdapter | None:
        """The user's feed from their broker's plugin; None (the client is told) when the broker is not
        enabled here or has no feed."""
        from broker.registry import UnknownBroker

        try:
            plugin = self.registry().get_connectable(principal.broker)
        except UnknownBroker as exc:
            log.warning("No feed for user %s: %s", principal.user_id, exc)
            return None
        if plugin.feed is None:
            return None
        session = principal.credentials or BrokerSession(user_id=principal.user_id, broker=principal.broker)
        return plugin.feed(session, publisher)

    # ------------------------------------------------------------------ refused broker tokens
    async def session_rejected(self, principal: Principal, reason: str) -> None:
        """The broker refused the feed's token: the user's broker session is expired (the dashboard then
        offers the reconnect path and the REST API answers 403) unless they reconnected meanwhile."""
        await asyncio.get_running_loop().run_in_executor(self._executor, self._expire_sync, principal, reason)

    def _expire_sync(self, principal: Principal, reason: str) -> None:
        from broker.errors import AuthError
        from services import broker_session

        with self.app().app_context():
            try:
                live = broker_session.live_session(principal.user_id)
            except AuthError:
                return   # already expired or disconnected
            rejected = getattr(principal.credentials, "auth_token", None)
            if live.plugin.name == principal.broker and live.session.auth_token == rejected:
                broker_session.mark_expired(principal.user_id, f"the {principal.broker} feed was refused: {reason}")

    async def recheck_principal(self, principal: Principal) -> Principal | None:
        """Who the user streams as now (after a refused token: is their broker live again?)."""
        def check() -> Principal:
            with self.app().app_context():
                broker, credentials = self._feed_of(principal.user_id)
            return Principal(principal.user_id, principal.username, broker, credentials)

        return await asyncio.get_running_loop().run_in_executor(self._executor, check)

    # ------------------------------------------------------------------ order updates
    async def order_snapshot(self, principal: Principal) -> list[bytes]:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._snapshot_sync, principal)

    def _snapshot_sync(self, principal: Principal) -> list[bytes]:
        from services import order_feed

        with self.app().app_context():
            return order_feed.snapshot(principal.user_id)

    def order_feed_factory(self, principal: Principal, emit: Any) -> Any:
        """The user's upstream order feed ("push": the plugin's, "poll": poll-and-diff), or None."""
        from services import order_feed

        with self.app().app_context():
            return order_feed.upstream_feed(principal.user_id, emit)

    # ------------------------------------------------------------------ sandbox on the live market
    async def sandbox_watch(self) -> list[Any]:
        """The analyzer-mode users whose resting orders need live ticks (services/sandbox_ticks.py)."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._sandbox_sync)

    def _sandbox_sync(self) -> list[Any]:
        from services import sandbox_ticks

        with self.app().app_context():
            return sandbox_ticks.watched()

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
