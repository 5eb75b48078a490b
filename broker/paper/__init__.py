"""The paper broker: a built-in market simulator and order engine that needs no credentials.

Read top to bottom:

    universe.py     reference data: NIFTY 50, indices, lot sizes, strike spacing, commodities
    instruments.py  today's instrument list in the unified master-contract format
    prices.py       the deterministic price process (Brownian bridge per day, Black-76 options)
    market.py       quotes, 5-level depth and candles from that process
    replay.py       optional replay of recorded NIFTY ticks (PAPER_REPLAY_FILE)
    ticks.py        normalized streaming ticks (API_CONTRACT §13.5) for the streaming adapter
    calendar.py     trading days and session hours (PAPER_SESSION=exchange)
    rules.py        order checks with broker-style rejection reasons
    margins.py      margin approximations
    engine.py       the order engine (state in database/paper.py), fills.py, housekeeping.py,
                    portfolio.py: fills, time passing, valuation
    matcher.py      the background matcher thread
    adapters.py     the contract adapters on top of the engine

Unlike a real broker plugin, the paper broker's "exchange" is our own database: its state lives in
the paper_* tables (database/paper.py), reached only through that module.
"""
from __future__ import annotations

from typing import Callable

from broker.contract import (BrokerPlugin, BrokerSession, CapabilityMap, Manifest, OrderEvent, PluginConfig, SettingSpec,
                             Tick)
from broker.contract.manifest import INTERVALS, OPERATIONS
from broker.paper.adapters import PaperAuth, PaperData, PaperFunds, PaperGtt, PaperMasterContract, PaperOrders
from broker.paper.engine import EngineSettings, PaperEngine
from broker.paper.matcher import BackgroundMatcher
from broker.paper import market, replay
from broker.paper.streaming import PaperStreaming
from broker.threaded_stream import ThreadedStream
from utils.config import PROJECT_ROOT

MANIFEST = Manifest(
    name="paper",
    display_name="Paper trading - simulated market",
    auth_type="none",
    settings=tuple(SettingSpec(name=name, label=label, required=False) for name, label in (
        ("PAPER_CAPITAL", "Virtual capital (INR)"), ("PAPER_SLIPPAGE", "Market-order slippage"),
        ("PAPER_SESSION", "Market hours: always or exchange"), ("PAPER_SQUAREOFF_TIME", "MIS square-off time"),
        ("PAPER_TICK_INTERVAL_MS", "Streaming tick interval (ms)"), ("PAPER_SEED", "Price process seed"),
        ("PAPER_REPLAY_FILE", "Recorded NIFTY ticks to replay"))),
    description="Built-in simulator: seeded prices, real lot and tick sizes, margins and P&L; no credentials.",
)

CAPABILITIES = CapabilityMap(
    operations=frozenset(OPERATIONS),
    streaming_modes=frozenset({1, 2, 3}),
    exchanges=frozenset({"NSE", "BSE", "NFO", "BFO", "MCX", "NSE_INDEX", "BSE_INDEX"}),
    intervals=INTERVALS,
    depth_levels=(5,),
    order_updates="push",
    rate_limits={"orders": "1000/second", "quotes": "1000/second", "history": "100/second"},
    # history_max_days: the longest range one history call serves, by interval unit (market.MAX_DAYS)
    extras={"simulated": True, "sessions": ("always", "exchange"), "history_max_days": dict(market.MAX_DAYS)},
)


def streaming_factory(config: PluginConfig) -> Callable[[BrokerSession, Callable[[Tick], None]], ThreadedStream]:
    """The contract's streaming factory: simulated ticks every PAPER_TICK_INTERVAL_MS to a callback."""
    interval = float(config.get("PAPER_TICK_INTERVAL_MS") or 1000) / 1000
    seed = int(config.get("PAPER_SEED") or 0)

    def create(session: BrokerSession, on_tick: Callable[[Tick], None]) -> ThreadedStream:
        return ThreadedStream(lambda publisher: PaperStreaming(publisher, interval=interval, seed=seed), on_tick)
    return create


class EngineOrderFeed:
    """The paper broker's order feed has no upstream connection: the engine itself emits an event for
    every order it places, changes, fills or ends, in whichever process runs it, through
    `PluginConfig.on_order_event` onto the bus. So the proxy's feed for a paper user has nothing to do."""

    def __init__(self, session: BrokerSession, emit: Callable[[OrderEvent], None]):
        self.session = session

    def connect(self) -> None:
        return None

    def close(self) -> None:
        return None


def create_plugin(config: PluginConfig) -> BrokerPlugin:
    replay_file = config.get("PAPER_REPLAY_FILE") or ""
    replay.install(replay.load(PROJECT_ROOT / replay_file) if replay_file else None)
    engine = PaperEngine(EngineSettings.from_settings(config.settings), on_event=config.on_order_event)
    matcher = BackgroundMatcher(engine, on_change=config.on_order_update)
    return BrokerPlugin(manifest=MANIFEST, capabilities=CAPABILITIES, auth=PaperAuth(),
                        orders=PaperOrders(engine, matcher), data=PaperData(engine),
                        funds=PaperFunds(engine), master_contract=PaperMasterContract(engine),
                        streaming=streaming_factory(config), order_feed=EngineOrderFeed, gtt=PaperGtt(engine, matcher))
