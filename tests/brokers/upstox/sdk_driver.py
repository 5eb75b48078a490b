"""Drive a fake Upstox with the official upstox-python-sdk; run in the SDK's own venv (.venv-sdk/upstox).

    python sdk_driver.py REST_URL CLIENT_ID CLIENT_SECRET REDIRECT_URI

Prints one JSON object with what each SDK call returned, for test_sdk_against_fake.py to check. The SDK
takes its REST hosts from `Configuration.host` / `order_host`, but its WebSocket feeders connect to the
fixed `wss://api.upstox.com/...` addresses; this driver points those at the fake the way a hosts-file
entry would, by rewriting the address handed to websocket-client (the SDK's transport), and the SDK
then follows the fake's 302 to the authorized feed URL exactly as it does with Upstox.
"""
from __future__ import annotations

import json
import sys
import threading
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import upstox_client
import websocket
from upstox_client.rest import ApiException

REST, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI = sys.argv[1:5]
SBIN, RELIANCE = "NSE_EQ|INE062A01020", "NSE_EQ|INE002A01018"
UPSTOX_WSS = "wss://api.upstox.com"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None


def login_code() -> dict[str, str]:
    """The browser's part: open the authorization dialog, read `code` and `state` off the redirect."""
    query = urlencode({"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI,
                       "state": "sdk-state-1"})
    try:
        urllib.request.build_opener(_NoRedirect).open(f"{REST}/v2/login/authorization/dialog?{query}")
    except urllib.error.HTTPError as redirect:
        location = redirect.headers["Location"]
        return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}
    raise AssertionError("the authorization dialog did not redirect")


def point_feeds_at_fake() -> None:
    original = websocket.WebSocketApp

    class Redirected(original):  # type: ignore[misc, valid-type]
        def __init__(self, url: str, *args: Any, **kwargs: Any):
            super().__init__(url.replace(UPSTOX_WSS, REST.replace("http://", "ws://")), *args, **kwargs)

    websocket.WebSocketApp = Redirected


def wait_for(items: list, count: int = 1, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while len(items) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def main() -> None:
    out: dict[str, Any] = {}
    redirect = login_code()
    out["redirect"] = redirect
    config = upstox_client.Configuration()
    config.host = config.order_host = REST
    login = upstox_client.LoginApi(upstox_client.ApiClient(config))
    token = login.token("2.0", code=redirect["code"], client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                        redirect_uri=REDIRECT_URI, grant_type="authorization_code")
    out["token"] = {"user_id": token.user_id, "has_access_token": bool(token.access_token)}
    config.access_token = token.access_token
    client = upstox_client.ApiClient(config)

    orders_v3 = upstox_client.OrderApiV3(client)
    orders = upstox_client.OrderApi(client)
    placed = orders_v3.place_order(upstox_client.PlaceOrderV3Request(
        quantity=2, product="I", validity="DAY", price=1.5, instrument_token=SBIN, order_type="LIMIT",
        transaction_type="BUY", disclosed_quantity=0, trigger_price=0, is_amo=False, slice=True))
    order_id = placed.data.order_ids[0]
    out["place_v3"] = {"order_ids": placed.data.order_ids, "latency": placed.metadata.latency}
    modified = orders_v3.modify_order(upstox_client.ModifyOrderRequest(
        quantity=3, validity="DAY", price=1.6, order_id=order_id, order_type="LIMIT", disclosed_quantity=0,
        trigger_price=0))
    out["modify_v3"] = modified.data.order_id
    details = orders.get_order_status(order_id=order_id).data
    out["history_len"] = len(orders.get_order_details("2.0", order_id=order_id).data)
    out["details"] = {"quantity": details.quantity, "price": details.price, "status": details.status}
    out["cancel_v3"] = orders_v3.cancel_order(order_id).data.order_id
    sliced = orders_v3.place_order(upstox_client.PlaceOrderV3Request(
        quantity=4000, product="D", validity="DAY", price=0, instrument_token="NSE_FO|54524", order_type="MARKET",
        transaction_type="BUY", disclosed_quantity=0, trigger_price=0, is_amo=False, slice=True))
    out["sliced_order_ids"] = sliced.data.order_ids
    v2 = orders.place_order(upstox_client.PlaceOrderRequest(
        quantity=1, product="D", validity="DAY", price=0, tag="sdk", instrument_token=SBIN, order_type="MARKET",
        transaction_type="BUY", disclosed_quantity=0, trigger_price=0, is_amo=False), "2.0")
    out["place_v2"] = v2.data.order_id
    book = orders.get_order_book("2.0").data
    out["book"] = {o.order_id: o.status for o in book}
    out["trades"] = [t.order_id for t in orders.get_trade_history("2.0").data]
    portfolio = upstox_client.PortfolioApi(client)
    out["positions"] = [p.instrument_token for p in portfolio.get_positions("2.0").data]
    out["holdings"] = [h.trading_symbol for h in portfolio.get_holdings("2.0").data]
    funds = upstox_client.UserApi(client).get_user_fund_margin("2.0").data
    out["funds_available"] = funds["equity"].available_margin
    quote = upstox_client.MarketQuoteApi(client).get_full_market_quote(f"{SBIN},{RELIANCE}", "2.0").data
    out["quotes"] = {k: {"last_price": v.last_price, "instrument_token": v.instrument_token,
                         "bids": len(v.depth.buy)} for k, v in quote.items()}
    ltp = upstox_client.MarketQuoteV3Api(client).get_ltp(instrument_key=RELIANCE).data
    out["ltp_v3"] = {k: v.last_price for k, v in ltp.items()}
    history = upstox_client.HistoryV3Api(client).get_historical_candle_data1(
        RELIANCE, "minutes", "30", "2025-01-03", "2025-01-01")
    out["history_v3_candles"] = len(history.data.candles)
    out["history_v2_candles"] = len(upstox_client.HistoryApi(client).get_historical_candle_data1(
        RELIANCE, "day", "2025-01-10", "2025-01-01", "2.0").data.candles)
    try:
        upstox_client.HistoryV3Api(client).get_historical_candle_data1(RELIANCE, "minutes", "1", "2025-06-30",
                                                                       "2025-01-01")
        out["range_error"] = None
    except ApiException as exc:
        out["range_error"] = {"status": exc.status, "body": json.loads(exc.body)}

    point_feeds_at_fake()
    frames: list[dict[str, Any]] = []
    streamer = upstox_client.MarketDataStreamerV3(client, [RELIANCE, "NSE_INDEX|Nifty 50"], "full")
    streamer.on("message", frames.append)
    streamer.auto_reconnect(False)
    threading.Thread(target=streamer.connect, daemon=True).start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(f.get("type") == "live_feed" for f in frames):
        time.sleep(0.05)
    streamer.disconnect()
    out["feed_types"] = sorted({f.get("type", "initial_feed") for f in frames})
    live = next((f for f in frames if f.get("type") == "live_feed"), {})
    out["feed_live"] = live.get("feeds", {})

    updates: list[Any] = []
    portfolio_streamer = upstox_client.PortfolioDataStreamer(client, order_update=True)
    portfolio_streamer.on("message", updates.append)
    portfolio_streamer.on("open", lambda *a: updates.append("open"))
    portfolio_streamer.auto_reconnect(False)
    threading.Thread(target=portfolio_streamer.connect, daemon=True).start()
    wait_for(updates, 1)
    orders_v3.place_order(upstox_client.PlaceOrderV3Request(
        quantity=1, product="I", validity="DAY", price=1.5, instrument_token=SBIN, order_type="LIMIT",
        transaction_type="SELL", disclosed_quantity=0, trigger_price=0, is_amo=False, slice=False))
    wait_for(updates, 2)
    portfolio_streamer.disconnect()
    out["order_updates"] = [json.loads(u) for u in updates if u != "open"]

    out["logout"] = login.logout("2.0").data
    try:
        orders.get_order_book("2.0")
        out["after_logout"] = None
    except ApiException as exc:
        out["after_logout"] = {"status": exc.status, "body": json.loads(exc.body)}
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
