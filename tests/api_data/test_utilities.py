"""Margin, market calendar and Telegram through the openalgo client (API_CONTRACT.md §5.6, §10, §11)."""
from __future__ import annotations

import pytest

import requests


pytestmark = pytest.mark.xdist_group("api_data")  # one server for the package, on one worker


def test_margin_of_a_basket(client):
    reply = client.margin(positions=[
        {"symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": 10, "product": "MIS", "pricetype": "MARKET"},
        {"symbol": "INFY", "exchange": "NSE", "action": "buy", "quantity": "5", "product": "CNC", "pricetype": "LIMIT",
         "price": "1500"}])
    assert reply["status"] == "success" and reply["data"]["total_margin_required"] > 0
    unknown = client.margin(positions=[{"symbol": "NOSUCH", "exchange": "NSE", "action": "BUY", "quantity": 1,
                                        "product": "MIS", "pricetype": "MARKET"}])
    assert unknown["code"] == 400 and "Position 1" in unknown["message"]


def test_holidays_and_timings(client, server):
    holidays = client.holidays(year=2026)
    assert holidays["year"] == 2026 and holidays["timezone"] == "Asia/Kolkata"
    assert any(h["description"] == "Republic Day" for h in holidays["data"])
    timings = client.timings(date="2026-11-25")["data"]
    nse = next(t for t in timings if t["exchange"] == "NSE")
    assert nse["end_time"] - nse["start_time"] == (6 * 60 + 15) * 60 * 1000
    assert client.timings(date="25-11-2026")["code"] == 400
    wrong_key = requests.post(f"{server.url}/api/v1/market/holidays", json={"apikey": "wrong"}, timeout=10)
    assert wrong_key.status_code == 403


def test_telegram_without_a_bot(client, server):
    assert client.telegram(username=server.username, message="hello")["code"] == 409
    assert client.telegram(username="nobody", message="hello")["code"] == 404
    missing_key = requests.post(f"{server.url}/api/v1/telegram/notify", json={"username": server.username}, timeout=10)
    assert missing_key.status_code == 401 and missing_key.json()["message"] == "Invalid or missing API key"


def test_whatsapp_without_a_paired_device(server):
    def notify(**body):
        return requests.post(f"{server.url}/api/v1/whatsapp/notify", json={"apikey": server.apikey, **body}, timeout=10)

    unpaired = notify(message="hello", wait_for_delivery=True, **{"self": True})   # the 2.x client's default call
    assert unpaired.status_code == 409 and unpaired.json() == {"status": "error", "message": (
        "WhatsApp is not paired or not connected. Pair the device first from the /whatsapp page in OpenAlgo "
        "before sending.")}
    assert notify(phone="919876543210", message="hi").status_code == 409
    assert notify(message="hi").status_code == 400                                    # no recipient
    assert notify(phone="919876543210").json()["message"].startswith("Provide at least one of")
    assert notify(phones=["1"] * 6, message="hi").status_code == 400
    assert notify(phone="919876543210", message="x" * 4097).status_code == 400
    missing_key = requests.post(f"{server.url}/api/v1/whatsapp/notify", json={"message": "hi"}, timeout=10)
    assert missing_key.status_code == 401 and missing_key.json()["message"] == "Invalid or missing API key"
