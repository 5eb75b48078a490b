"""Drive the fake Kite with kiteconnect, Zerodha's official Python SDK; run in the SDK's own venv
(.venv-sdk/zerodha, from sdk-requirements.txt):

    python sdk_driver.py REST_URL TICKER_URL API_KEY API_SECRET REQUEST_TOKEN [smoke]

`KiteConnect(root=REST_URL)` and `KiteTicker(root=TICKER_URL)` are the SDK's own ways to pick the hosts, so
nothing of the SDK is patched. Prints one JSON object with what each call returned (dates as ISO text)
for test_sdk_against_fake.py to check; `smoke` stops after the session and the profile. A call the fake
refuses is recorded as {"error": exception class, "message": ...} rather than ending the run.
"""
from __future__ import annotations

import datetime
import json
import os
import sys
import threading
from typing import Any, Callable

from kiteconnect import KiteConnect, KiteTicker

REST, TICKER, API_KEY, API_SECRET, REQUEST_TOKEN = sys.argv[1:6]
SMOKE = sys.argv[6:] == ["smoke"]
INFY_TOKEN, NIFTY_FUT_TOKEN = 408065, 13238786
TICKS_WANTED = 3


def plain(value: Any) -> Any:
    """JSON-safe copy: the SDK turns timestamps into datetime objects."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return value


def attempt(call: Callable[[], Any]) -> Any:
    try:
        return plain(call())
    except Exception as exc:  # noqa: BLE001 — the test asserts on what was refused and why
        return {"error": type(exc).__name__, "message": str(exc), "code": getattr(exc, "code", None)}


def rest(out: dict[str, Any]) -> KiteConnect:
    kite = KiteConnect(api_key=API_KEY, root=REST)
    out["login_url"] = kite.login_url()
    out["session"] = attempt(lambda: kite.generate_session(REQUEST_TOKEN, api_secret=API_SECRET))
    out["profile"] = attempt(kite.profile)
    if SMOKE:
        return kite
    out["wrong_checksum"] = attempt(lambda: KiteConnect(api_key=API_KEY, root=REST).generate_session(
        REQUEST_TOKEN, api_secret="not-the-secret"))
    out["margins"] = attempt(kite.margins)
    out["margins_equity"] = attempt(lambda: kite.margins("equity"))

    limit = attempt(lambda: kite.place_order(variety=kite.VARIETY_REGULAR, exchange=kite.EXCHANGE_NSE,
                                             tradingsymbol="INFY", transaction_type=kite.TRANSACTION_TYPE_BUY,
                                             quantity=1, product=kite.PRODUCT_CNC, order_type=kite.ORDER_TYPE_LIMIT,
                                             price=1400.5, tag="sdk"))
    out["place_limit"] = limit
    out["modify"] = attempt(lambda: kite.modify_order(variety=kite.VARIETY_REGULAR, order_id=limit, quantity=2,
                                                      price=1401.0))
    out["history_after_modify"] = attempt(lambda: kite.order_history(limit))
    out["cancel"] = attempt(lambda: kite.cancel_order(variety=kite.VARIETY_REGULAR, order_id=limit))
    market = attempt(lambda: kite.place_order(variety=kite.VARIETY_REGULAR, exchange=kite.EXCHANGE_NSE,
                                              tradingsymbol="INFY", transaction_type=kite.TRANSACTION_TYPE_BUY,
                                              quantity=3, product=kite.PRODUCT_MIS,
                                              order_type=kite.ORDER_TYPE_MARKET, market_protection=-1))
    out["place_market"] = market
    out["market_without_protection"] = attempt(lambda: kite.place_order(
        variety=kite.VARIETY_REGULAR, exchange=kite.EXCHANGE_NSE, tradingsymbol="INFY",
        transaction_type=kite.TRANSACTION_TYPE_BUY, quantity=1, product=kite.PRODUCT_MIS,
        order_type=kite.ORDER_TYPE_MARKET))
    out["orders"] = attempt(kite.orders)
    out["trades"] = attempt(kite.trades)
    out["order_trades"] = attempt(lambda: kite.order_trades(market))
    out["positions"] = attempt(kite.positions)
    out["holdings"] = attempt(kite.holdings)

    out["quote"] = attempt(lambda: kite.quote(["NSE:INFY", "NSE:NOSUCHSCRIP"]))
    out["ltp"] = attempt(lambda: kite.ltp("NSE:INFY"))
    out["ohlc"] = attempt(lambda: kite.ohlc(["NSE:INFY"]))
    out["historical"] = attempt(lambda: kite.historical_data(
        INFY_TOKEN, datetime.datetime(2017, 12, 15, 9, 0), datetime.datetime(2017, 12, 15, 16, 0), "minute"))
    out["historical_oi"] = attempt(lambda: kite.historical_data(
        NIFTY_FUT_TOKEN, "2019-12-04 09:00:00", "2019-12-04 16:00:00", "minute", oi=True))
    out["historical_too_long"] = attempt(lambda: kite.historical_data(
        INFY_TOKEN, datetime.datetime(2017, 1, 1), datetime.datetime(2017, 6, 1), "minute"))
    out["instruments_nse"] = attempt(lambda: kite.instruments("NSE")[:2])
    return kite


def ticker(out: dict[str, Any], access_token: str) -> None:
    """Subscribe INFY in full mode; keep the first ticks the SDK decodes from the fake's binary frames."""
    ticks: list[dict[str, Any]] = []
    done = threading.Event()
    kws = KiteTicker(API_KEY, access_token, root=TICKER, reconnect=False)

    def on_connect(ws: Any, response: Any) -> None:
        ws.subscribe([INFY_TOKEN])
        ws.set_mode(ws.MODE_FULL, [INFY_TOKEN])

    def on_ticks(ws: Any, batch: list[dict[str, Any]]) -> None:
        ticks.extend(batch)
        if len([t for t in ticks if t.get("mode") == "full"]) >= TICKS_WANTED:
            done.set()

    kws.on_connect, kws.on_ticks = on_connect, on_ticks
    kws.on_error = lambda ws, code, reason: out.setdefault("ticker_errors", []).append([code, str(reason)])
    kws.connect(threaded=True)
    done.wait(20)
    kws.close()
    kws.stop_retry()
    out["ticks"] = plain([t for t in ticks if t.get("mode") == "full"][:TICKS_WANTED])
    out["ticks_before_full"] = plain([t for t in ticks if t.get("mode") != "full"][:1])


def main() -> None:
    out: dict[str, Any] = {}
    kite = rest(out)
    if not SMOKE and kite.access_token:
        ticker(out, kite.access_token)
    print(json.dumps(out, default=str), flush=True)
    os._exit(0)   # the SDK's reactor thread has no clean stop once it ran


if __name__ == "__main__":
    main()
