"""Which broker an order request acts on: the user's live broker, or the paper engine in analyzer mode.

Analyzer mode (API_CONTRACT.md §1.7, §9) is a per-user setting; while it is on, every order and account
service gets the `paper` plugin with a session for the same user, so a request can never reach the
live broker's order endpoints. With a live broker connected, the paper engine runs on that broker's
market (its master contract, quotes and ticks, through a read-only broker.market_view.LiveMarketView);
without one, on the simulated market. `resolve(user_id)` is the one place that decides, and it records
the decision (database/sandbox_markets.py) so that a restart, the background matchers and the WebSocket
proxy's tick path (services/sandbox_ticks.py) know which users' sandboxes run on a live market.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Iterable

from flask import current_app

from broker.contract import BrokerPlugin, BrokerSession, Instrument
from broker.contract.multiplier import contract_multiplier, counts_mcx_contracts
from broker.market_view import LiveMarketView
from database import db, sandbox_markets
from services import broker_session, user_settings
from services.brokers import registry
from services.instrument_cache import cache_for
from services.broker_session import BrokerSessionExpired, NoBrokerSession
from utils import clock
from utils.errors import InvalidInput

ANALYZER_SETTING = user_settings.ANALYZER_SETTING
MODE_LIVE = "live"
MODE_ANALYZE = "analyze"
# the sandbox's market: the connected live broker's (the default) or the simulated one
ANALYZER_MARKET_SETTING = "analyzer_market"
MARKET_LIVE, MARKET_SIMULATED = "live", "simulated"
ANALYZER_MARKETS = (MARKET_LIVE, MARKET_SIMULATED)


@dataclass(frozen=True)
class Target:
    plugin: BrokerPlugin
    session: BrokerSession
    mode: str
    live_market: bool = False      # analyzer mode on the connected broker's market

    @property
    def broker(self) -> str:
        return self.plugin.name

    @property
    def analyze(self) -> bool:
        return self.mode == MODE_ANALYZE


def analyzer_on(user_id: int) -> bool:
    return user_settings.get(user_id, ANALYZER_SETTING, False) is True


def analyzer_market(user_id: int) -> str:
    """The market the user's sandbox asks for (it is the simulated one anyway without a live broker)."""
    return user_settings.get(user_id, ANALYZER_MARKET_SETTING, MARKET_LIVE)


def mode_of(user_id: int) -> str:
    return MODE_ANALYZE if analyzer_on(user_id) else MODE_LIVE


def resolve(user_id: int) -> Target:
    """The paper engine in analyzer mode, else the live broker session (NoBrokerSession /
    BrokerSessionExpired when there is none)."""
    if analyzer_on(user_id):
        return sandbox_target(user_id)
    live = broker_session.live_session(user_id)
    return Target(live.plugin, live.session, MODE_LIVE)


def sandbox_plugin(user_id: int) -> BrokerPlugin:
    """The paper plugin the user's sandbox account runs on (on the live broker's market when the
    analyzer would use it), whether analyzer mode is on or not: for looking at or resetting that account.
    A sandbox recorded on a live market whose broker session ended raises the session error (see
    `live_sandbox`)."""
    return sandbox_target(user_id).plugin


def sandbox_target(user_id: int) -> Target:
    """`sandbox_plugin` as a Target in analyze mode: for reports on the sandbox account whatever the
    mode (services/pnl_report.py), and what analyzer mode trades on."""
    paper = registry().get("paper")
    sandbox = live_sandbox(user_id, paper)
    session = BrokerSession(user_id=user_id, broker="paper", auth_token="paper")
    if sandbox is not None:
        return Target(sandbox.plugin, session, MODE_ANALYZE, live_market=True)
    return Target(paper, session, MODE_ANALYZE)


@dataclass(frozen=True)
class Sandbox:
    """A user's paper engine bound to their connected live broker's market."""
    key: tuple[object, ...]          # the live session it was built for (plugins are rebuilt with the app)
    plugin: BrokerPlugin             # the paper plugin on that market
    view: LiveMarketView             # what it sees of the live broker (ticks are recorded here)
    session: BrokerSession           # the live broker session (its feed streams the ticks)

    @property
    def broker(self) -> str:
        return self.view.broker


# user → their Sandbox; one per user and process, so its recorded ticks and its matcher live as long as
# the live session
_SANDBOXES: dict[int, Sandbox] = {}
_SANDBOXES_LOCK = threading.Lock()


def live_sandbox(user_id: int, paper: BrokerPlugin | None = None) -> Sandbox | None:
    """The user's sandbox on their connected live broker's market, or None (the simulated market: no
    live broker, or market=simulated). Records the answer (sandbox_markets). A sandbox recorded on a
    live market whose broker session is gone raises the session error instead of silently moving the
    user's resting orders and GTTs to the simulated market's prices."""
    paper = paper or registry().get("paper")
    recorded = sandbox_markets.live_broker_of(user_id)
    if paper.sandbox is None or analyzer_market(user_id) != MARKET_LIVE:
        _record(user_id, recorded, None)
        return None
    try:
        live = broker_session.live_session(user_id)
    except (NoBrokerSession, BrokerSessionExpired) as exc:
        if recorded is None:
            return None
        raise BrokerSessionExpired(f"Your sandbox runs on the {recorded} market and that broker session is not "
                                   f"live: {exc} Or switch the sandbox to the simulated market (analyzer/toggle "
                                   f"with market=simulated).", broker=recorded) from None
    if live.plugin.name == "paper":
        _record(user_id, recorded, None)
        return None
    _record(user_id, recorded, live.plugin.name)
    key = (id(paper), id(live.plugin), live.session.auth_token)
    with _SANDBOXES_LOCK:
        cached = _SANDBOXES.get(user_id)
        if cached is not None and cached.key == key:
            return cached
    contract = cache_for(live.plugin.name)
    view = LiveMarketView(live.plugin, live.session, contract.by_symbol,
                          clock=clock.for_app(current_app._get_current_object()))
    built = Sandbox(key, paper.sandbox(view), view, live.session)
    with _SANDBOXES_LOCK:
        _SANDBOXES[user_id] = built
    return built


def _record(user_id: int, recorded: str | None, broker: str | None) -> None:
    if recorded != broker:
        sandbox_markets.set_live_broker(user_id, broker, clock.now())
        db.session.commit()


def instrument(target: Target, symbol: str, exchange: str) -> Instrument:
    """The master-contract row for (symbol, exchange), or a 400 naming both."""
    if target.live_market:   # the live broker's contract, as the sandbox engine sees it
        found = target.plugin.master_contract.lookup(symbol, exchange)
        if found is None:
            raise InvalidInput(f"Symbol '{symbol}' not found for exchange '{exchange}'")
        return found
    found = cache_for(target.broker).by_symbol(symbol, exchange)
    if found is None and target.broker == "paper":  # analyzer mode needs no downloaded paper contract
        found = target.plugin.master_contract.lookup(symbol, exchange)
    if found is None:
        raise InvalidInput(f"Symbol '{symbol}' not found for exchange '{exchange}'")
    return found


def contract_multipliers(target: Target, instruments: Iterable[tuple[str, str]]) -> dict[tuple[str, str], float]:
    """Each (symbol, exchange)'s contract multiplier at a live broker (broker/contract/multiplier.py), from
    its row in the broker's master contract: what turns the quantities of the broker's trade and position
    books into money (a Zerodha USDINR contract counted as 1 is USD 1,000). One cached lookup per distinct
    instrument; 1 for one the contract lacks. Empty for the paper broker, whose books carry their own."""
    if target.broker == "paper":
        return {}
    contract = cache_for(target.broker)
    mcx_contracts = counts_mcx_contracts(target.plugin.capabilities)
    found = {}
    for symbol, exchange in set(instruments):
        row = contract.by_symbol(symbol, exchange)
        found[(symbol, exchange)] = contract_multiplier(row, mcx_contracts) if row is not None else 1.0
    return found
