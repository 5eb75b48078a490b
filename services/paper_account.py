"""Use cases of the paper (sandbox) account that are not broker calls: reset it, with a chosen virtual
capital, and look at it.

The engine is the one the user's sandbox runs on (`order_target.sandbox_plugin`: the app's `paper`
plugin, on the connected live broker's market when analyzer mode would use it), so positions are
valued at the prices the user trades at, with the app's PAPER_* settings.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from broker.contract import Funds
from services import order_target
from services.brokers import registry
from utils.errors import InvalidInput

if TYPE_CHECKING:   # the engine is reached through the registry's paper plugin, never imported for use
    from broker.paper.engine import PaperEngine

MIN_CAPITAL = 1_000.0
MAX_CAPITAL = 1e12


def paper_engine(user_id: int | None = None) -> "PaperEngine":
    """The engine `user_id`'s sandbox runs on; without a user, the app's paper plugin's own (simulated)."""
    if user_id is None:
        return registry().get("paper").orders.engine
    return order_target.sandbox_plugin(user_id).orders.engine


def parse_capital(raw: Any) -> float | None:
    """A capital given by a user (form, CLI, API): None when empty, else INR within the allowed range."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        value = float(str(raw).replace(",", "").strip())
    except ValueError:
        raise InvalidInput(f"capital must be an amount in INR, got {str(raw)[:40]!r}", field="capital") from None
    if not MIN_CAPITAL <= value <= MAX_CAPITAL:
        raise InvalidInput(f"capital must be between {MIN_CAPITAL:,.0f} and {MAX_CAPITAL:,.0f} INR, got {value:,.2f}",
                           field="capital")
    return round(value, 2)


def reset(user_id: int, capital: Any = None) -> Funds:
    """Delete the user's paper orders, trades, positions and holdings and start again with `capital`
    (INR; empty: PAPER_CAPITAL)."""
    engine = paper_engine(user_id)
    engine.reset(user_id, parse_capital(capital))
    return engine.snapshot(user_id).funds


def funds(user_id: int) -> Funds:
    return paper_engine(user_id).snapshot(user_id).funds


def default_capital() -> float:
    """PAPER_CAPITAL, what a reset without an amount restores."""
    return paper_engine().settings.capital
