"""The fake Upstox speaks Upstox's protocol: the official upstox-python-sdk (PyPI, in a venv of its own)
logs in, trades, reads books, quotes and candles, and streams protobuf market data and order updates
through it. The SDK's REST hosts are configured to the fake; its WebSocket feeders, whose address the SDK
fixes at wss://api.upstox.com, are pointed at the fake inside the driver (see sdk_driver.py)."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.fakes.upstox import CLIENT_ID, CLIENT_SECRET, UpstoxServer
from tests.fakes.upstox.feed import base_price
from tests.support.sdk_venv import sdk_python

HERE = Path(__file__).parent
RELIANCE, SBIN, NIFTY = "NSE_EQ|INE002A01018", "NSE_EQ|INE062A01020", "NSE_INDEX|Nifty 50"
REDIRECT_URI = "http://127.0.0.1:5000/upstox/callback"


@pytest.fixture(scope="module")
def sdk_run() -> Iterator[tuple[dict[str, Any], UpstoxServer]]:
    python = sdk_python("upstox", HERE / "sdk-requirements.txt")
    with UpstoxServer() as upstox:
        result = subprocess.run([str(python), str(HERE / "sdk_driver.py"), upstox.url, CLIENT_ID, CLIENT_SECRET,
                                 REDIRECT_URI], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-3000:]
        yield json.loads(result.stdout.strip().splitlines()[-1]), upstox


def test_login_dialog_redirects_with_code_and_state_and_the_token_call_takes_form_fields(sdk_run) -> None:
    out, upstox = sdk_run
    assert out["redirect"]["state"] == "sdk-state-1" and out["redirect"]["code"]
    assert out["token"] == {"user_id": "XX1234", "has_access_token": True}
    token_call = upstox.requests_to("/v2/login/authorization/token")[0]
    assert token_call.form["grant_type"] == "authorization_code" and token_call.form["redirect_uri"] == REDIRECT_URI
    assert upstox.redirect_uris == [REDIRECT_URI]


def test_place_modify_cancel_on_v3_and_the_books_on_v2(sdk_run) -> None:
    out, upstox = sdk_run
    order_id = out["place_v3"]["order_ids"][0]
    assert out["modify_v3"] == out["cancel_v3"] == order_id
    assert out["details"] == {"quantity": 3, "price": 1.6, "status": "open"}      # read before the cancel
    assert out["book"][order_id] == "cancelled"
    assert out["book"][out["place_v2"]] == "complete"                              # a market order fills
    assert out["place_v2"] in out["trades"]
    assert all(upstox.requests_to(p)[0].headers["Authorization"] == f"Bearer {upstox.access_token}"
               for p in ("/v3/order/place", "/v2/order/retrieve-all"))


def test_v3_slices_an_order_above_the_freeze_quantity(sdk_run) -> None:
    out, _ = sdk_run
    assert len(out["sliced_order_ids"]) == 3       # 4000 against a freeze quantity of 1800
    assert {out["book"][i] for i in out["sliced_order_ids"]} == {"complete"}


def test_portfolio_funds_quotes_and_candles(sdk_run) -> None:
    out, _ = sdk_run
    assert out["positions"] and out["holdings"] == ["YESBANK"] and out["funds_available"] > 0
    assert out["quotes"]["NSE_EQ:RELIANCE"] == {"last_price": base_price(RELIANCE), "instrument_token": RELIANCE,
                                                "bids": 5}
    assert out["quotes"]["NSE_EQ:SBIN"]["instrument_token"] == SBIN
    assert out["ltp_v3"] == {"NSE_EQ:RELIANCE": base_price(RELIANCE)}
    assert out["history_v3_candles"] > 0 and out["history_v2_candles"] > 0
    assert out["range_error"]["status"] == 400           # 1-minute candles: at most a month per request
    assert out["range_error"]["body"]["errors"][0]["property_path"] == "from_date"


def test_market_data_streamer_decodes_the_fakes_protobuf_frames(sdk_run) -> None:
    out, upstox = sdk_run
    assert out["feed_types"] == ["initial_feed", "live_feed", "market_info"]
    equity = out["feed_live"][RELIANCE]["fullFeed"]["marketFF"]
    assert len(equity["marketLevel"]["bidAskQuote"]) == 5 and equity["ltpc"]["ltp"] >= base_price(RELIANCE)
    assert "indexFF" in out["feed_live"][NIFTY]["fullFeed"]
    assert upstox.feed.requests[0]["method"] == "sub" and upstox.feed.requests[0]["data"]["mode"] == "full"


def test_portfolio_streamer_receives_order_updates(sdk_run) -> None:
    out, _ = sdk_run
    update = out["order_updates"][0]
    assert update["update_type"] == "order" and update["status"] == "open" and update["transaction_type"] == "SELL"


def test_logout_ends_the_token(sdk_run) -> None:
    out, _ = sdk_run
    assert out["logout"] is True
    assert out["after_logout"]["status"] == 401
    assert out["after_logout"]["body"]["errors"][0]["error_code"] == "UDAPI100050"
