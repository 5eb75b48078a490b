"""Which broker an order request acts on: the user's live broker, or the paper engine in analyzer mode.

Analyzer mode (API_CONTRACT.md §1.7, §9) is a per-user setting; while it is on, every order and account
service gets the `paper` plugin with a session for the same user, so a request can never reach the
live broker. `resolve(user_id)` is the one place that decides.
"""
from __future__ import annotations

from dataclasses import dataclass

from broker.contract import BrokerPlugin, BrokerSession, Instrument
from services import broker_session, user_settings
from services.brokers import registry
from services.instrument_cache import cache_for
from utils.errors import InvalidInput

ANALYZER_SETTING = user_settings.ANALYZER_SETTING
MODE_LIVE = "live"
MODE_ANALYZE = "analyze"


@dataclass(frozen=True)
class Target:
    plugin: BrokerPlugin
    session: BrokerSession
    mode: str

    @property
    def broker(self) -> str:
        return self.plugin.name

    @property
    def analyze(self) -> bool:
        return self.mode == MODE_ANALYZE


def analyzer_on(user_id: int) -> bool:
    return user_settings.get(user_id, ANALYZER_SETTING, False) is True


def mode_of(user_id: int) -> str:
    return MODE_ANALYZE if analyzer_on(user_id) else MODE_LIVE


def resolve(user_id: int) -> Target:
    """The paper engine in analyzer mode, else the live broker session (NoBrokerSession /
    BrokerSessionExpired when there is none)."""
    if analyzer_on(user_id):
        return Target(registry().get("paper"), BrokerSession(user_id=user_id, broker="paper", auth_token="paper"),
                      MODE_ANALYZE)
    live = broker_session.live_session(user_id)
    return Target(live.plugin, live.session, MODE_LIVE)


def instrument(target: Target, symbol: str, exchange: str) -> Instrument:
    """The master-contract row for (symbol, exchange), or a 400 naming both."""
    found = cache_for(target.broker).by_symbol(symbol, exchange)
    if found is None and target.broker == "paper":  # analyzer mode needs no downloaded paper contract
        found = target.plugin.master_contract.lookup(symbol, exchange)
    if found is None:
        raise InvalidInput(f"Symbol '{symbol}' not found for exchange '{exchange}'")
    return found
