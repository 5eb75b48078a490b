"""The strategy pages as a signed-in user sees them: create, map symbols (one, CSV), rotate the
webhook URL, the TradingView helper and the Amibroker guide; forms need their CSRF token."""
from __future__ import annotations

import io
import json
import re
from urllib.parse import urlsplit

import pytest

from tests.security.conftest import csrf_token, login, post_form


@pytest.fixture
def browser(trader):
    client = trader.app.test_client()
    assert login(client, "trader").status_code == 302
    return client


def _create(browser, **fields):
    data = {"name": "Pages", "platform": "tradingview", "mode": "LONG", "intraday": "y", "start_time": "09:15",
            "end_time": "15:00", "squareoff_time": "15:15", "default_quantity": "1", "default_product": "MIS",
            **fields}
    answer = post_form(browser, "/strategy", "/strategy/new", **data)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return answer.headers["Location"]


def _webhook_url(page: str) -> str:
    return re.search(r'id="webhook-url">([^<]+)<', page).group(1)


def test_create_map_rotate_and_helpers(browser, trader):
    location = _create(browser)
    page = browser.get(location).get_data(as_text=True)
    first_url = _webhook_url(page)
    assert "/strategy/webhook/" in first_url
    added = post_form(browser, location, f"{location}/mappings", symbol="sbin", exchange="NSE", quantity="10",
                      product="MIS")
    assert added.status_code == 302
    imported = post_form(browser, location, f"{location}/mappings/csv",
                         csv="symbol,exchange,quantity,product\nINFY,NSE,5,CNC\n")
    assert imported.status_code == 302
    page = browser.get(location).get_data(as_text=True)
    assert "<td>SBIN</td>" in page and "<td>INFY</td>" in page
    bad = post_form(browser, location, f"{location}/mappings", symbol="NOSUCH", exchange="NSE", quantity="1",
                    product="MIS")
    assert bad.status_code == 400 and "Symbol &#39;NOSUCH&#39; not found" in bad.get_data(as_text=True)

    helper = browser.get(f"{location}/tradingview?symbol=SBIN&action=BUY").get_data(as_text=True)
    assert first_url in helper and "/api/v1/placesmartorder" in helper
    messages = re.findall(r"<pre id=\"tv-(?:webhook|direct)-message\">(.*?)</pre>", helper, re.S)
    webhook_message, direct_message = (json.loads(m.replace("&#34;", '"').replace("&quot;", '"')) for m in messages)
    assert webhook_message == {"symbol": "SBIN", "action": "BUY"}
    assert direct_message["position_size"] == "10" and direct_message["apikey"] == "YOUR_API_KEY"

    rotated = post_form(browser, location, f"{location}/rotate")
    assert rotated.status_code == 302
    assert _webhook_url(browser.get(location).get_data(as_text=True)) != first_url
    assert trader.client.post(urlsplit(first_url).path, json={"symbol": "SBIN", "action": "BUY"}).status_code == 404


def test_forms_need_csrf_and_other_users_cannot_see_a_strategy(browser, trader):
    location = _create(browser, name="Mine")
    assert browser.post(f"{location}/rotate").status_code == 400       # no CSRF token
    from tests.api.conftest import make_account
    make_account(trader.app, "other", connect=False)
    stranger = trader.app.test_client()
    login(stranger, "other")
    assert stranger.get(location).status_code == 404
    assert "Mine" not in stranger.get("/strategy").get_data(as_text=True)


def test_bad_fields_are_named(browser):
    answer = post_form(browser, "/strategy", "/strategy/new", name="x", platform="tradingview", mode="LONG",
                       start_time="9.15", end_time="15:00", squareoff_time="15:15", default_quantity="1",
                       default_product="MIS")
    assert answer.status_code == 400 and "start_time must be a time of day in IST as HH:MM" in answer.get_data(as_text=True)


def test_amibroker_page_shows_the_formula(browser):
    page = browser.get("/strategy/amibroker").get_data(as_text=True)
    assert "InternetPostRequest" in page and "Content-Type: application/json" in page
    assert "/api/v1/placesmartorder" in page


def test_python_strategy_script_upload_start_stop_and_log(browser):
    location = _create(browser, name="Hosted", platform="python")
    page = browser.get(location).get_data(as_text=True)
    assert 'id="script"' in page and "OPENALGO_API_KEY" in page
    token = csrf_token(browser, location)
    bad = browser.post(f"{location}/script", data={"csrf_token": token, "code": "def x(:", "run_days": "mon",
                                                   "run_start": "09:15", "run_stop": "15:30", "cpu_seconds": "60",
                                                   "memory_mb": "256", "env": ""})
    assert bad.status_code == 400 and "does not compile: line 1" in bad.get_data(as_text=True)
    upload = (io.BytesIO(b"print('hello from upload')\n"), "mine.py")
    saved = browser.post(f"{location}/script", content_type="multipart/form-data",
                         data={"csrf_token": token, "upload": upload, "code": "", "run_days": "mon,tue",
                               "run_start": "09:15", "run_stop": "15:30", "cpu_seconds": "60", "memory_mb": "256",
                               "env": "MY_SECRET=s3cret"})
    assert saved.status_code == 302
    page = browser.get(location).get_data(as_text=True)
    assert "hello from upload" in page and "MY_SECRET" in page and "s3cret" not in page
    assert post_form(browser, location, f"{location}/script/start").status_code == 302
    state = browser.get(f"{location}/script/log").get_json()
    assert state["status"] == "success" and state["run"]["enabled"] is True
    assert post_form(browser, location, f"{location}/script/stop").status_code == 302
    assert browser.get(f"{location}/script/log").get_json()["run"]["enabled"] is False


def test_edit_settings(browser, trader):
    location = _create(browser, name="Editable")
    saved = post_form(browser, location, f"{location}/edit", name="Edited", mode="BOTH", start_time="09:30",
                      end_time="14:30", squareoff_time="15:00", default_quantity="2", default_product="CNC")
    assert saved.status_code == 302, saved.get_data(as_text=True)
    page = re.sub(r"\s+", " ", browser.get(location).get_data(as_text=True))
    assert "<h1>Edited</h1>" in page and "BOTH · inactive · positional" in page
