"""GTT endpoints in process on paper (SQLite and PostgreSQL): the 2.x client's request and answer
shapes, every rule refused with a 400 naming it, analyzer mode, and 501 from a broker without GTT."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from database.journal import entries_for_user
from services.brokers import registry
from utils import clock
from tests.api.conftest import Account, make_account
from tests.api.test_analyzer import live_account, live_app  # noqa: F401 (fixture)


def _ltp(account: Account, symbol: str = "SBIN") -> float:
    """The paper market's price now (what the GTT service reads as the last price)."""
    with account.app.app_context():
        engine = registry().get("paper").orders.engine
        return engine.quote(engine.instrument(symbol, "NSE"))["ltp"]


def _oco(ltp: float, below: float = 0.9, above: float = 1.1, **extra: Any) -> dict[str, Any]:
    return {"strategy": "gtt", "trigger_type": "OCO", "symbol": "SBIN", "exchange": "NSE", "action": "SELL",
            "product": "CNC", "quantity": 1, "pricetype": "LIMIT", "price": 0,
            "triggerprice_sl": round(ltp * below, 1), "stoploss": round(ltp * below - 1, 1),
            "triggerprice_tg": round(ltp * above, 1), "target": round(ltp * above + 1, 1), **extra}


def test_oco_is_placed_listed_modified_and_cancelled(account: Account):
    ltp = _ltp(account)
    placed = account.post("placegttorder", **_oco(ltp))
    assert placed.status_code == 200 and placed.json["status"] == "success", placed.json
    trigger_id = placed.json["trigger_id"]
    [entry] = account.post("gttorderbook").json["data"]
    assert (entry["trigger_id"], entry["trigger_type"], entry["status"], entry["symbol"]) == \
        (trigger_id, "two-leg", "active", "SBIN")
    assert entry["trigger_prices"] == sorted(entry["trigger_prices"]) == [round(ltp * 0.9, 1), round(ltp * 1.1, 1)]
    assert [leg["role"] for leg in entry["legs"]] == ["stoploss", "target"] and entry["last_price"] > 0
    assert {"created_at", "updated_at", "expires_at"} <= set(entry)

    modified = account.post("modifygttorder", trigger_id=trigger_id, **_oco(ltp, 0.8, 1.2, quantity=2))
    assert modified.json == {"status": "success", "trigger_id": trigger_id}
    [entry] = account.post("gttorderbook").json["data"]
    assert entry["legs"][0]["quantity"] == 2 and entry["trigger_prices"] == [round(ltp * 0.8, 1), round(ltp * 1.2, 1)]
    assert account.post("modifygttorder", trigger_id=trigger_id, **_oco(ltp, action="BUY")).status_code == 400

    assert account.post("cancelgttorder", trigger_id=trigger_id, strategy="gtt").json == \
        {"status": "success", "trigger_id": trigger_id}
    assert account.post("gttorderbook").json["data"] == []
    [cancelled] = account.post("gttorderbook", status="all").json["data"]
    assert cancelled["status"] == "cancelled"
    assert account.post("cancelgttorder", trigger_id=trigger_id).status_code == 400
    assert account.post("cancelgttorder", trigger_id="GTT-nope").status_code == 404
    with account.app.app_context():
        actions = [row.action for row in entries_for_user(account.user_id, limit=10)]
    assert {"placegttorder", "modifygttorder", "cancelgttorder"} <= set(actions)


def test_single_gtt_with_a_limit_order(account: Account):
    ltp = _ltp(account)
    body = {"trigger_type": "SINGLE", "symbol": "SBIN", "exchange": "NSE", "action": "BUY", "product": "CNC",
            "quantity": 1, "pricetype": "LIMIT", "price": round(ltp * 0.95, 1), "triggerprice_sl": round(ltp * 0.95, 1),
            "triggerprice_tg": 0, "stoploss": None, "target": None}
    placed = account.post("placegttorder", **body)
    assert placed.status_code == 200, placed.json
    [entry] = account.post("gttorderbook").json["data"]
    assert entry["trigger_type"] == "single" and len(entry["legs"]) == 1 and entry["legs"][0]["pricetype"] == "LIMIT"


def test_bad_gtt_requests_are_400_naming_the_rule(account: Account):
    ltp = _ltp(account)
    cases = [
        ({**_oco(ltp), "product": "MIS"}, "product"),
        ({**_oco(ltp), "trigger_type": "BRACKET"}, "trigger_type"),
        ({**_oco(ltp), "target": None}, "Required for OCO: target"),
        ({**_oco(ltp), "triggerprice_sl": ltp * 1.2}, "triggerprice_sl < triggerprice_tg"),
        ({**_oco(ltp), "trigger_type": "SINGLE", "triggerprice_sl": 0, "triggerprice_tg": 0}, "exactly one"),
        ({**_oco(ltp), "trigger_type": "SINGLE", "triggerprice_tg": 0, "price": 0}, "price must be greater than 0"),
        ({**_oco(ltp), "quantity": 0}, "quantity"),
        ({**_oco(ltp), "symbol": "NOSUCH"}, "NOSUCH"),
        ({**_oco(ltp, 1.05, 1.1)}, "both sides of the last price"),
        ({**_oco(ltp), "validity_days": 0}, "validity_days"),
        ({**_oco(ltp), "validity_days": 366}, "validity_days"),
        ({**_oco(ltp), "validity_days": "a week"}, "validity_days"),
    ]
    for body, named in cases:
        answer = account.post("placegttorder", **body)
        assert answer.status_code == 400 and named in str(answer.json), (body, answer.json)
    assert account.post("gttorderbook", status="some").status_code == 400
    assert account.post("cancelgttorder").status_code == 400


def test_analyzer_mode_places_gtts_on_the_paper_engine(live_app):  # noqa: F811
    account, _live = live_account(live_app)
    assert account.post("placegttorder", **_oco(100.0)).status_code == 501   # the live broker has no GTT
    assert "not supported" in account.post("gttorderbook").json["message"]
    account.post("analyzer/toggle", mode=True, market="simulated")   # the simulated market's SBIN
    ltp = _ltp(account)
    placed = account.post("placegttorder", **_oco(ltp)).json
    assert placed["mode"] == "analyze" and placed["trigger_id"].startswith("GTT-")
    book = account.post("gttorderbook").json
    assert book["mode"] == "analyze" and [g["trigger_id"] for g in book["data"]] == [placed["trigger_id"]]


def test_gtt_needs_a_valid_key(account: Account):
    answer = account.client.post("/api/v1/gttorderbook", json={"apikey": "wrong"})
    assert answer.status_code in (401, 403)
    assert make_account  # the shared helper stays importable for broker suites


@pytest.mark.dates
def test_validity_days_sets_the_expiry_and_an_untriggered_gtt_expires(account: Account):
    """`validity_days` (a keyword the 2.x client forwards) sets expires_at; past it, the trigger is expired
    and leaves the active book. Without it the paper broker keeps a trigger for a year, as Kite does."""
    now = {"at": clock.system_now()}
    account.app.config["OPENALGO_CLOCK"] = lambda: now["at"]
    ltp = _ltp(account)
    kept = account.post("placegttorder", **_oco(ltp, 0.5, 1.5)).json["trigger_id"]
    short = account.post("placegttorder", **_oco(ltp, 0.5, 1.5, validity_days=1)).json["trigger_id"]
    longer = account.post("placegttorder", **_oco(ltp, 0.5, 1.5, validity_days="2")).json["trigger_id"]
    expiry = {g["trigger_id"]: datetime.fromisoformat(g["expires_at"]) for g in account.post("gttorderbook").json["data"]}
    assert expiry[short] == now["at"] + timedelta(days=1) and expiry[longer] == now["at"] + timedelta(days=2)
    assert expiry[kept] == now["at"] + timedelta(days=365)

    modified = account.post("modifygttorder", trigger_id=longer, **_oco(ltp, 0.5, 1.5, validity_days=3)).json
    assert modified["status"] == "success", modified
    [entry] = [g for g in account.post("gttorderbook").json["data"] if g["trigger_id"] == longer]
    assert datetime.fromisoformat(entry["expires_at"]) == now["at"] + timedelta(days=3)

    now["at"] += timedelta(days=1, minutes=1)
    assert {g["trigger_id"] for g in account.post("gttorderbook").json["data"]} == {kept, longer}
    statuses = {g["trigger_id"]: g["status"] for g in account.post("gttorderbook", status="all").json["data"]}
    assert statuses == {kept: "active", short: "expired", longer: "active"}
    expired = account.post("modifygttorder", trigger_id=short, **_oco(ltp, 0.5, 1.5))
    assert expired.status_code == 400 and "expired" in expired.json["message"]
