"""Analyzer mode: orders run on the paper engine for the same user and never reach the live broker."""
from __future__ import annotations

from datetime import date

import pytest

from broker.contract import BrokerSession
from broker.errors import TokenExpired
from broker.paper.adapters import to_instrument
from broker.paper.instruments import option_expiries
from broker.paper.universe import index_spec
from database.journal import entries_for_user
from services import broker_session, master_contract
from services.brokers import registry
from tests.api.conftest import make_account
from tests.security.conftest import FAST_HASHER
from utils.market_calendar import now_ist

pytestmark = pytest.mark.dates  # the day and time matter: ./test.sh reruns it under shifted clocks

ORDER = {"strategy": "t", "symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": "3"}
LIVE_CALLS = ("place_order", "modify_order", "cancel_order", "cancel_all_orders", "order_book", "order_status",
              "trade_book", "positions", "holdings", "open_position", "close_all_positions")


@pytest.fixture
def live_app(make_app, database_url: str):
    return make_app(PASSWORD_HASHER=FAST_HASHER, BROKER_PLUGIN_PACKAGES=("broker", "tests.contract.plugins"),
                    VALID_BROKERS="fakebroker,paper", ORDER_RATE_LIMIT="1000 per second",
                    DATABASE_URL=database_url, LOGS_DATABASE_URL=database_url)


def live_account(app):
    """A user connected to the fake live broker, whose instrument list is downloaded."""
    account = make_account(app, connect=False)
    with app.app_context():
        broker_session.connect(account.user_id, "fakebroker")
        live = registry().get("fakebroker")
        master_contract.download("fakebroker", live)
    return account, live


def test_analyze_mode_never_calls_the_live_broker(live_app, monkeypatch):
    account, live = live_account(live_app)
    calls: list[str] = []
    for name in LIVE_CALLS:
        monkeypatch.setattr(live.orders, name, lambda *a, _name=name, **k: calls.append(_name))
    monkeypatch.setattr(live.funds, "funds", lambda *a, **k: calls.append("funds"))

    toggled = account.post("analyzer/toggle", mode=True).json
    assert toggled["data"]["analyze_mode"] is True and toggled["data"]["mode"] == "analyze"
    placed = account.post("placeorder", **ORDER).json
    assert placed["mode"] == "analyze" and len(placed["orderid"]) == 14
    assert account.post("placeorder", **{**ORDER, "quantity": "1.5"}).json["mode"] == "analyze"
    assert account.post("placeorder", **{**ORDER, "exchange": "XYZ"}).status_code == 400
    for endpoint in ("orderbook", "tradebook", "positionbook", "holdings", "funds"):
        answer = account.post(endpoint)
        assert answer.status_code == 200 and answer.json["mode"] == "analyze", endpoint
    assert account.post("funds").json["data"]["availablecash"] > 0     # numbers in analyze mode
    smart = account.post("placesmartorder", **{**ORDER, "position_size": "0", "quantity": "0", "action": "SELL"})
    assert smart.json["orderid"]
    assert account.post("closeposition", strategy="t").json["mode"] == "analyze"
    assert account.post("cancelallorder", strategy="t").json["mode"] == "analyze"
    status = account.post("analyzer").json["data"]
    assert status == {"analyze_mode": True, "mode": "analyze", "total_logs": 6}
    assert calls == []
    with live_app.app_context():
        assert {e.mode for e in entries_for_user(account.user_id)} == {"analyze"}

    assert account.post("analyzer/toggle", mode=False).json["data"]["mode"] == "live"
    account.post("placeorder", **ORDER)
    assert calls == ["place_order"]      # live mode reaches the live broker again


def test_expired_broker_token_is_403_and_marks_the_session_expired(live_app, monkeypatch):
    account, live = live_account(live_app)

    def expired(*args, **kwargs):
        raise TokenExpired("token rejected by Fake Broker", broker="fakebroker")
    monkeypatch.setattr(live.orders, "place_order", expired)
    answer = account.post("placeorder", **ORDER)
    assert answer.status_code == 403 and "Broker session expired" in answer.json["message"]
    with live_app.app_context():
        assert broker_session.state(account.user_id)["state"] == "expired"
    again = account.post("placeorder", **ORDER)
    assert again.status_code == 403 and "expired" in again.json["message"]


def test_toggle_needs_a_boolean(api_app):
    account = make_account(api_app)
    bad = account.post("analyzer/toggle", mode="maybe")
    assert bad.status_code == 400 and "mode" in bad.json["message"]
    market = account.post("analyzer/toggle", mode=True, market="moon")
    assert market.status_code == 400 and "market" in market.json["message"]
    assert account.post("analyzer").json["data"]["mode"] == "live"


def test_option_orders_in_analyze_mode_resolve_on_the_paper_engine(live_app, monkeypatch):
    """optionsorder / optionsmultiorder: the LTP used for ATM and the strikes come from the paper engine;
    the live broker's data and order calls fail the test if anything reaches them."""
    account, live = live_account(live_app)

    def forbidden(*args, **kwargs):
        raise AssertionError("analyzer mode reached the live broker")
    for adapter, names in ((live.data, ("quote", "quotes", "depth", "history")), (live.orders, LIVE_CALLS)):
        for name in names:
            monkeypatch.setattr(adapter, name, forbidden)
    assert account.post("analyzer/toggle", mode=True, market="simulated").json["data"]["mode"] == "analyze"
    expiry = option_expiries(index_spec("NIFTY"), now_ist().date())[-1].strftime("%d%b%y").upper()
    order = {"strategy": "opt", "underlying": "NIFTY", "exchange": "NSE_INDEX", "expiry_date": expiry}
    with live_app.app_context():
        paper = registry().get("paper")
        nifty = to_instrument(paper.orders.engine.lookup("NIFTY", "NSE_INDEX"))
        spot = paper.data.quote(BrokerSession(user_id=account.user_id, broker="paper", auth_token="paper"), nifty).ltp

    lot = index_spec("NIFTY").lotsize
    single = account.post("optionsorder", **order, offset="ATM", option_type="CE", action="BUY", quantity=str(lot),
                          product="NRML")
    assert single.status_code == 200, single.json
    assert single.json["mode"] == "analyze" and len(single.json["orderid"]) == 14
    assert single.json["symbol"].startswith(f"NIFTY{expiry}") and abs(single.json["underlying_ltp"] - spot) < spot * 0.01
    multi = account.post("optionsmultiorder", **order, legs=[
        {"offset": "OTM2", "option_type": "CE", "action": "SELL", "quantity": lot, "product": "NRML"},
        {"offset": "OTM4", "option_type": "CE", "action": "BUY", "quantity": lot, "product": "NRML"}])
    assert multi.status_code == 200 and multi.json["mode"] == "analyze", multi.json
    assert [leg["status"] for leg in multi.json["results"]] == ["success", "success"]
    assert {leg["mode"] for leg in multi.json["results"]} == {"analyze"}
    book = account.post("orderbook").json["data"]["orders"]
    assert {o["orderid"] for o in book} >= {single.json["orderid"], *(leg["orderid"] for leg in multi.json["results"])}
