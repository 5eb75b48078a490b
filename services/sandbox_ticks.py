"""Live ticks into the sandbox: which analyzer-mode users the WebSocket proxy streams for, and where
their ticks go.

A user whose sandbox runs on a live broker's market (database/sandbox_markets.py) and has resting paper
orders or active GTTs needs that broker's ticks for those instruments, whether or not a script of theirs
subscribes to them. `watched()` names those users, their live session (its feed streams the ticks) and
the instruments; the proxy (websocket_proxy/sandbox_tap.py) holds a subscription for each in the user's
feed and hands every tick to `Watched.tick`, which records it in the user's LiveMarketView in the
proxy's process and wakes that process's matcher for the user. Fills are made by the paper engine under
the user's account lock, so the proxy's matcher and the app workers' (which match on quotes) never fill
an order twice.
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
        if not pairs:
            continue
        try:
            sandbox = order_target.live_sandbox(user_id)
        except AuthError:   # the broker session ended: nothing streams until the user reconnects it
            continue
        if sandbox is None or sandbox.broker != broker:
            continue
        rows = tuple(row for symbol, exchange in sorted(pairs)
                     if (row := sandbox.view.instrument(symbol, exchange)) is not None)
        if sandbox.view.on_stream is not None:
            sandbox.view.on_stream()   # in an app context: the matcher learns the database and runs
        found.append(Watched(user_id, broker, sandbox.session, rows, sandbox.view))
    return found
