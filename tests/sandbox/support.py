"""Helpers of the sandbox tests: a symbol only the Kite contract lists, Kite's price moving, Kite order
calls, positions."""
from __future__ import annotations

import time

import pytest

from broker import zerodha
from broker.contract import Instrument
from broker.market_view import quote_reuse_seconds
from services.brokers import registry
from services.instrument_cache import cache_for
from tests.api.conftest import Account
from tests.fakes.kite_server import KiteServer

ORDER_PATHS = ("/orders", "/gtt")     # every Kite endpoint that places, changes or cancels anything


def kite_only_equity(account: Account) -> Instrument:
    """An NSE equity the Kite contract lists and the simulated market does not know."""
    with account.app.app_context():
        paper = registry().get("paper").master_contract
        for symbol in ("CDSL", "BANKBEES", "DEEPAKFERT", "GPTINFRA", "ARMANFIN"):   # in the recorded dump
            row = cache_for("zerodha").by_symbol(symbol, "NSE")
            if row is not None and paper.lookup(symbol, "NSE") is None:
                return row
    pytest.fail("the recorded Kite contract lists none of the candidate equities")


def kite_price_moves(kite: KiteServer, key: str, **market: float) -> None:
    """Kite's quote of `key` (`EXCHANGE:SYMBOL`) moves to `market` (KiteServer.set_quote's fields), and
    the sandbox sees it: waits out the window in which the sandbox answers its last Kite quote of a
    symbol again (one slot of Kite's quote budget, broker.market_view.quote_reuse_seconds)."""
    kite.set_quote(key, **market)
    time.sleep(quote_reuse_seconds(zerodha.CAPABILITIES))


def order_calls(kite: KiteServer) -> list[str]:
    return [f"{seen.method} {seen.path}" for seen in kite.requests
            if seen.path.startswith(ORDER_PATHS) and seen.method != "GET"]


def position_of(account: Account, symbol: str) -> dict:
    rows = account.post("positionbook").json["data"]
    return next(row for row in rows if row["symbol"] == symbol)
