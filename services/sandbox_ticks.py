"""Live ticks into the sandbox: which analyzer-mode users the WebSocket proxy streams for, and where
their ticks go.

A user whose sandbox runs on a live broker's market (database/sandbox_markets.py) and has resting paper
orders or active GTTs needs that broker's ticks for those instruments, whether or not a script of theirs
subscribes to them. `watched()` names those users, their live session (its feed streams the ticks) and
the instruments; the proxy (websocket_proxy/sandbox_tap.py) holds a subscription for each in the user's
feed and hands every tick to `Watched.tick`, which records it in the user's LiveMarketView in the
proxy's process and wakes that process's matcher for the user. Fills are made by the paper engine under
the user's account lock, so the proxy's matcher and the app workers' (which match on quotes) never fill
an order twice. `resume()` starts the matchers of every such user that holds anything the matcher must
move without a request (open MIS positions too), once per deployment from the square-off scheduler.
"""
from __future__ import annotations

from dataclasses import dataclass

from broker.contract import BrokerSession, Instrument
from broker.errors import AuthError
from broker.market_view import LiveMarketView
from database import paper as paper_store
from database import sandbox_markets
from services import order_target
from utils.logging import get_logger

log = get_logger("services.sandbox_ticks")


@dataclass(frozen=True)
class Watched:
    user_id: int
    broker: str
    session: BrokerSession                 # the live session whose feed streams the ticks
    instruments: tuple[Instrument, ...]    # what the user's resting orders and GTTs wait on
    view: LiveMarketView

    def tick(self, exchange: str, symbol: str, ltp: float) -> None:
        """A streamed price of one of `instruments` (called on the proxy's event loop: no I/O)."""
        self.view.streamed(exchange, symbol, ltp)


def watched() -> list[Watched]:
    """Every user whose sandbox runs on a live market and waits on something, with those instruments
    (call in an app context). Starts each one's matcher in this process, so ticks can wake it."""
    live = sandbox_markets.live_market_users()
    if not live:
        return []
    resting = paper_store.resting_instruments()
    found = []
    for user_id, broker in live.items():
        pairs = resting.get(user_id)
        if not pairs or (sandbox := _started(user_id, broker)) is None:
            continue
        rows = tuple(row for symbol, exchange in sorted(pairs)
                     if (row := sandbox.view.instrument(symbol, exchange)) is not None)
        found.append(Watched(user_id, broker, sandbox.session, rows, sandbox.view))
    return found


def resume() -> list[int]:
    """Start this process's matcher of every user whose sandbox runs on a live market and holds what must
    move without a request from them: resting orders, active GTTs, or open MIS positions awaiting their
    segment's square-off (call in an app context). The square-off scheduler runs it at start and every
    minute, once per deployment (services/strategy_squareoff.py), so a restart or a recycled worker never
    leaves a position past its square-off time until the user's next call. Returns those users."""
    live = sandbox_markets.live_market_users()
    if not live:
        return []
    waiting = set(paper_store.users_with_resting_orders())
    waiting |= {user_id for user_id, _, _ in paper_store.open_intraday_positions()}
    return [user_id for user_id in sorted(waiting & live.keys()) if _started(user_id, live[user_id]) is not None]


def _started(user_id: int, broker: str) -> order_target.Sandbox | None:
    """The user's live-market sandbox with its matcher started in this process, or None when their broker
    session ended (nothing moves until they reconnect) or their sandbox left that market."""
    try:
        sandbox = order_target.live_sandbox(user_id)
    except AuthError:
        return None
    if sandbox is None or sandbox.broker != broker:
        return None
    if sandbox.view.on_stream is not None:
        sandbox.view.on_stream()   # in an app context: the matcher learns the database and runs
    return sandbox
