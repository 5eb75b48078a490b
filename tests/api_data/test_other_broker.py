"""Capabilities decide what the endpoints answer: a broker (the contract tests' fakebroker) with no margin
calculator, fewer intervals and no batch quotes."""
from __future__ import annotations

import pytest

from services import broker_session, master_contract
from services.brokers import registry
from tests.api.conftest import make_account
from tests.security.conftest import FAST_HASHER


@pytest.fixture
def account(make_app):  # noqa: ANN201
    app = make_app(PASSWORD_HASHER=FAST_HASHER, BROKER_PLUGIN_PACKAGES=("broker", "tests.contract.plugins"),
                   VALID_BROKERS="fakebroker,paper", API_RATE_LIMIT="1000 per second")
    account = make_account(app, connect=False)
    with app.app_context():
        broker_session.connect(account.user_id, "fakebroker")
        master_contract.download("fakebroker", registry().get("fakebroker"))
    return account


def test_margin_without_a_calculator_is_501(account):
    reply = account.post("margin", positions=[{"symbol": "SBIN", "exchange": "NSE", "action": "BUY",
                                               "quantity": "1", "product": "MIS", "pricetype": "MARKET"}])
    assert reply.status_code == 501
    assert reply.json["message"] == "Margin calculation not implemented for broker: fakebroker"


def test_intervals_and_unsupported_timeframe_follow_the_capability_map(account):
    data = account.post("intervals").json["data"]
    assert data == {"seconds": [], "minutes": ["1m", "5m"], "hours": [], "days": ["D"], "weeks": [], "months": []}
    reply = account.post("history", symbol="SBIN", exchange="NSE", interval="15m", start_date="2026-01-01",
                         end_date="2026-01-02")
    assert reply.status_code == 500 and reply.json["message"] == "Unsupported timeframe: 15m"


def test_multiquotes_fan_out_without_a_batch_call(account):
    reply = account.post("multiquotes", symbols=[{"symbol": s, "exchange": "NSE"} for s in ("SBIN", "INFY", "TCS")])
    assert reply.status_code == 200
    assert {item["symbol"] for item in reply.json["results"] if item["data"]["ltp"] > 0} == {"SBIN", "INFY", "TCS"}


def test_no_broker_session_is_403(make_app):
    app = make_app(PASSWORD_HASHER=FAST_HASHER)
    account = make_account(app, connect=False)
    reply = account.post("quotes", symbol="SBIN", exchange="NSE")
    assert reply.status_code == 403 and "No broker is connected" in reply.json["message"]
