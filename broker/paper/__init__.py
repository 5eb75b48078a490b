"""The paper broker: a built-in market simulator and order engine that needs no credentials.

Read top to bottom:

    universe.py     reference data: stocks, indices, currency, commodities, lots, strike steps, expiry rules
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

from broker.contract import BrokerPlugin, BrokerSession, CapabilityMap, Manifest, OrderEvent, PluginConfig, SettingSpec
from broker.contract.manifest import INTERVALS, OPERATIONS
from broker.paper.adapters import PaperAuth, PaperData, PaperFunds, PaperGtt, PaperMasterContract, PaperOrders
from broker.paper.engine import EngineSettings, PaperEngine
from broker.paper.matcher import BackgroundMatcher
from broker.paper import market, replay
from broker.paper.source import LiveMarket
from broker.paper.streaming import PaperStreaming
from broker.market_view import LiveMarketView
from broker.streaming import TickPublisher
from utils import setting_types as parse
from utils.config import PROJECT_ROOT


def _setting(name: str, label: str, default: str, parser, description: str) -> SettingSpec:  # noqa: ANN001
    return SettingSpec(name=name, label=label, required=False, default=default, parse=parser, description=description)


MANIFEST = Manifest(
    name="paper",
    display_name="Paper trading - simulated market",
    auth_type="none",
    settings=(
        _setting("PAPER_CAPITAL", "Virtual capital (INR)", "10000000", parse.float_between(1000, 1e12),
                 "virtual capital of each paper account in INR (default one crore)"),
        _setting("PAPER_SLIPPAGE", "Market-order slippage", "0.0005", parse.float_between(0, 0.05),
                 "paper MARKET orders fill this fraction beyond the touch (0.0005 = 0.05%)"),
        _setting("PAPER_SESSION", "Market hours", "always", parse.choice("always", "exchange"),
                 "always: a simulated market open around the clock; exchange: real NSE/BSE/MCX hours"),
        _setting("PAPER_SQUAREOFF_TIME", "MIS square-off time, NSE/BSE equity", "15:15", parse.hhmm,
                 "time of day (IST, HH:MM) when open paper MIS positions on NSE/BSE cash are squared off"),
        _setting("PAPER_SQUAREOFF_FNO", "MIS square-off time, NFO/BFO", "15:15", parse.hhmm,
                 "time of day (IST, HH:MM) when open paper MIS futures and options are squared off"),
        _setting("PAPER_SQUAREOFF_CDS", "MIS square-off time, CDS/BCD", "16:45", parse.hhmm,
                 "time of day (IST, HH:MM) when open paper MIS currency positions are squared off"),
        _setting("PAPER_SQUAREOFF_MCX", "MIS square-off time, MCX", "", parse.optional_hhmm,
                 "time of day (IST, HH:MM) when open paper MIS commodity positions are squared off, all year; "
                 "empty: PAPER_SQUAREOFF_MCX_BEFORE minutes before that day's MCX close"),
        _setting("PAPER_SQUAREOFF_MCX_BEFORE", "MIS square-off lead, MCX (minutes)", "10", parse.int_between(1, 120),
                 "with PAPER_SQUAREOFF_MCX empty: minutes before MCX's close (23:30 IST while the US is on "
                 "daylight-saving time, else 23:55) when open paper MIS commodity positions are squared off"),
        _setting("PAPER_EQUITY_MIS_LEVERAGE", "Equity MIS leverage", "5", parse.float_between(1, 50),
                 "intraday leverage on equity MIS: the margin is the value divided by this (5 = 20 %)"),
        _setting("PAPER_FUTURES_MARGIN", "Futures margin (%)", "12", parse.float_between(0.5, 100),
                 "margin of NFO/BFO futures, percent of notional (a SPAN + exposure stand-in)"),
        _setting("PAPER_COMMODITY_MARGIN", "MCX futures margin (%)", "10", parse.float_between(0.5, 100),
                 "margin of MCX futures, percent of notional"),
        _setting("PAPER_CURRENCY_MARGIN", "Currency futures margin (%)", "3", parse.float_between(0.5, 100),
                 "margin of CDS/BCD currency futures, percent of notional"),
        _setting("PAPER_SHORT_OPTION_MARGIN", "Short option margin (%)", "12", parse.float_between(0.5, 100),
                 "margin of a sold option, percent of strike x quantity (bought options pay the premium)"),
        _setting("PAPER_CHARGES", "Charge brokerage and taxes", "false", parse.boolean,
                 "true: paper fills pay brokerage, STT, exchange and SEBI fees, GST and stamp duty "
                 "(an approximation per segment) from the balance"),
        _setting("PAPER_TICK_INTERVAL_MS", "Streaming tick interval (ms)", "250", parse.int_between(50, 60000),
                 "milliseconds between the paper broker's streamed ticks"),
        _setting("PAPER_SEED", "Price process seed", "0", parse.int_between(0, 2**31 - 1),
                 "seed of the paper price process; every process with the same seed sees the same prices"),
        _setting("PAPER_REPLAY_FILE", "Recorded NIFTY ticks to replay", "", parse.optional_file,
                 "CSV of recorded NIFTY ticks (timestamp,last_price) replayed each paper day, e.g. "
                 "broker/paper/data/nifty50_ticks_2022-07-01.csv; empty: off"),
    ),
    description="Built-in simulator: seeded prices, real lot and tick sizes, margins and P&L; no credentials.",
    live=False,   # our own engine raises the unified errors itself: no broker error table to translate
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


def feed_factory(config: PluginConfig):  # noqa: ANN201  (FeedFactory)
    """BrokerPlugin.feed: simulated ticks every PAPER_TICK_INTERVAL_MS, the same for every user."""
    interval = float(config.get("PAPER_TICK_INTERVAL_MS") or 250) / 1000
    seed = int(config.get("PAPER_SEED") or 0)

    def feed(session: BrokerSession, publisher: TickPublisher) -> PaperStreaming:
        return PaperStreaming(publisher, interval=interval, seed=seed, clock=config.clock)
    return feed


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


def _plugin(engine: PaperEngine, matcher: BackgroundMatcher, config: PluginConfig,
            sandbox: Callable[[LiveMarketView], BrokerPlugin] | None = None) -> BrokerPlugin:
    return BrokerPlugin(sandbox=sandbox, manifest=MANIFEST, capabilities=CAPABILITIES, auth=PaperAuth(),
                        orders=PaperOrders(engine, matcher), data=PaperData(engine),
                        funds=PaperFunds(engine), master_contract=PaperMasterContract(engine),
                        feed=feed_factory(config), order_feed=EngineOrderFeed, gtt=PaperGtt(engine, matcher))


def sandbox_factory(engine: PaperEngine, config: PluginConfig) -> Callable[[LiveMarketView], BrokerPlugin]:
    """BrokerPlugin.sandbox: the same engine (settings, clock, events, stored accounts) on a user's
    live market, with a matcher of its own for that user's resting orders and GTTs, woken by every tick
    the view records from the live feed (the simulated market's `matcher` leaves users on a live market
    alone: database/sandbox_markets.py)."""
    def on_live_market(view: LiveMarketView) -> BrokerPlugin:
        bound = engine.on_market(LiveMarket(view))
        own = BackgroundMatcher(bound, on_change=config.on_order_update, only_user=view.session.user_id)
        view.on_stream = own.wake
        return _plugin(bound, own, config)
    return on_live_market


def create_plugin(config: PluginConfig) -> BrokerPlugin:
    replay_file = config.get("PAPER_REPLAY_FILE") or ""
    replay.install(replay.load(PROJECT_ROOT / replay_file) if replay_file else None)
    engine = PaperEngine(EngineSettings.from_settings(config.settings), clock=config.clock,
                         on_event=config.on_order_event)
    matcher = BackgroundMatcher(engine, on_change=config.on_order_update)
    return _plugin(engine, matcher, config, sandbox=sandbox_factory(engine, config))
