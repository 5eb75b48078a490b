"""Use cases of the paper account that are not broker calls: reset it, and look at it.

The paper engine is the one held by this app's `paper` plugin, so the reset runs with the app's
PAPER_* settings (the capital it restores is PAPER_CAPITAL).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from broker.contract import Funds
from services.brokers import registry

if TYPE_CHECKING:   # the engine is reached through the registry's paper plugin, never imported for use
    from broker.paper.engine import PaperEngine


def paper_engine() -> "PaperEngine":
    return registry().get("paper").orders.engine


def reset(user_id: int) -> Funds:
    """Delete the user's paper orders, trades, positions and holdings and restore the capital."""
    engine = paper_engine()
    engine.reset(user_id)
    return engine.snapshot(user_id).funds


def funds(user_id: int) -> Funds:
    return paper_engine().snapshot(user_id).funds
