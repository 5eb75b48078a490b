"""Helpers of the sandbox tests: a symbol only the Kite contract lists, a future added to the Kite contract,
Kite's price moving, Kite order calls, positions."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest

from broker import zerodha
from broker.contract import Instrument
from broker.market_view import quote_reuse_seconds
from services import broker_session, master_contract
from services.brokers import registry
from services.instrument_cache import cache_for
from tests.api.conftest import Account
from tests.fakes.kite_server import KiteServer
from utils.market_calendar import now_ist
from utils.symbols import future_symbol

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


# Kite's (instrument_token, exchange_token, tick_size) of the futures the recorded dump lacks
_FUTURES = {"USDINR": ("412675", "1612", "0.0025"), "CRUDEOIL": ("118587", "463", "1.0")}


def download_kite_contract(account: Account) -> None:
    with account.app.app_context():
        live = broker_session.live_session(account.user_id)
        assert master_contract.download("zerodha", live.plugin, session=live.session, force=True).state == "success"


def list_kite_future(account: Account, kite: KiteServer, base: str, exchange: str, lot_size: int) -> tuple[str, str]:
    """A `base` future expiring in 40 days added to the Kite dump with `lot_size`, the contract downloaded
    again; (its symbol, Kite's `EXCHANGE:TRADINGSYMBOL`)."""
    expiry = (now_ist() + timedelta(days=40)).date()
    trading_symbol = f"{base}{expiry:%y%b}FUT".upper()
    token, exchange_token, tick_size = _FUTURES[base]
    kite.list_instrument({"instrument_token": token, "exchange_token": exchange_token, "tradingsymbol": trading_symbol,
                          "name": base, "last_price": "0.0", "expiry": expiry.isoformat(), "strike": "0.0",
                          "tick_size": tick_size, "lot_size": str(lot_size), "instrument_type": "FUT",
                          "segment": f"{exchange}-FUT", "exchange": exchange})
    download_kite_contract(account)
    return future_symbol(base, expiry), f"{exchange}:{trading_symbol}"


def order_calls(kite: KiteServer) -> list[str]:
    return [f"{seen.method} {seen.path}" for seen in kite.requests
            if seen.path.startswith(ORDER_PATHS) and seen.method != "GET"]


def position_of(account: Account, symbol: str) -> dict:
    rows = account.post("positionbook").json["data"]
    return next(row for row in rows if row["symbol"] == symbol)
