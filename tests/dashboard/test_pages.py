"""Every dashboard page renders for a signed-in user, needs a session, and shows the broker state."""
from __future__ import annotations

import re

import pytest
from flask import Flask

from services import analyzer, broker_session
from tests.dashboard.conftest import Browser, signed_in

PAGES = ("/", "/dashboard", "/orderbook", "/tradebook", "/positions", "/holdings", "/search",
         "/symbol/NSE/SBIN", "/analyzer", "/broker", "/apikey", "/profile", "/audit")


@pytest.mark.parametrize("path", PAGES)
def test_page_renders_with_layout_and_local_assets_only(browser: Browser, path: str):
    page = browser.client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="main-nav"' in html and "· connected" in html
    assert "vendor/bootstrap/bootstrap.min.css" in html
    assert not re.search(r'(src|href)="(https?:)?//', html), "every asset must be served by this server"
    assert "<script>" not in html  # no inline scripts (the CSP forbids them)


@pytest.mark.parametrize("path", PAGES)
def test_pages_need_a_signed_in_user(dash_app: Flask, path: str):
    signed_in(dash_app)  # a user exists, so no first-run redirect
    response = dash_app.test_client().get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")


def test_layout_shows_expired_session_with_a_reconnect_button(browser: Browser):
    with browser.app.app_context():
        broker_session.mark_expired(browser.user_id, "token rejected")
    html = browser.client.get("/dashboard").get_data(as_text=True)
    assert "· session expired" in html and 'id="reconnect-broker"' in html
    reconnect = browser.post_form("/broker/paper/connect")
    assert reconnect.status_code == 302
    assert "· connected" in browser.client.get("/dashboard").get_data(as_text=True)


def test_layout_without_a_broker_offers_to_connect(dash_app: Flask):
    browser = signed_in(dash_app, connect=False)
    html = browser.client.get("/dashboard").get_data(as_text=True)
    assert "No broker connected" in html and "Connect broker" in html
    assert "No broker is connected" in html  # the funds card says why it is empty


def test_analyzer_mode_shows_the_colour_band_on_every_page(browser: Browser):
    assert 'id="analyzer-band"' not in browser.client.get("/orderbook").get_data(as_text=True)
    browser.post_form("/analyzer/toggle", mode="analyze")
    with browser.app.app_context():
        assert analyzer.status(browser.user_id)["analyze_mode"] is True
    for path in ("/dashboard", "/orderbook", "/apikey"):
        html = browser.client.get(path).get_data(as_text=True)
        assert 'id="analyzer-band"' in html and 'class="analyzer-on"' in html


def test_apikey_page_shows_the_python_snippet_with_this_host_and_no_key(browser: Browser):
    html = browser.client.get("/apikey").get_data(as_text=True)
    assert 'api_key="YOUR_API_KEY"' in html and 'host="http://127.0.0.1:5000"' in html
    assert browser.key not in html
    assert 'data-confirm="Regenerate the API key?' in html


def test_dashboard_shows_funds_positions_orders_and_contract(browser: Browser):
    assert browser.api("placeorder", strategy="s1", symbol="SBIN", exchange="NSE", action="BUY",
                       pricetype="MARKET", product="MIS", quantity=1).status_code == 200
    html = browser.client.get("/dashboard").get_data(as_text=True)
    assert 'data-field="availablecash"' in html and "Used margin" in html
    assert re.search(r'<span id="open-positions">1</span>', html)
    assert re.search(r'data-status="complete">\s*<span>Complete</span><span class="badge text-bg-secondary">1<', html)
    live = browser.client.get("/dashboard?part=live").get_data(as_text=True)
    assert "<html" not in live and 'id="funds"' in live
    curve = browser.get_json("/dashboard/pnl")
    assert curve["points"] and all(set(p) == {"time", "value"} for p in curve["points"])


def test_profile_shows_when_the_session_ends(browser: Browser):
    html = browser.client.get("/profile").get_data(as_text=True)
    assert re.search(r'id="session-ends">\d\d-\w{3}-\d{4} 03:00:00<', html)


def test_event_stream_of_a_signed_out_browser_ends_quietly(dash_app: Flask):
    signed_in(dash_app)
    response = dash_app.test_client().get("/events")
    assert response.status_code == 204  # EventSource stops without following a redirect


def test_pages_may_connect_only_to_this_site_and_its_market_feed(browser: Browser):
    policy = browser.client.get("/symbol/NSE/SBIN").headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and policy.endswith("connect-src 'self' ws://127.0.0.1:8765")


def test_analyzer_log_lists_simulated_requests_with_filters_as_text(browser: Browser):
    browser.post_form("/analyzer/toggle", mode="analyze")
    ok = browser.api("placeorder", strategy="<b>bold</b>", symbol="SBIN", exchange="NSE", action="BUY",
                     pricetype="MARKET", product="MIS", quantity=1)
    assert ok.status_code == 200 and ok.get_json()["mode"] == "analyze"
    assert browser.api("placeorder", strategy="s2", symbol="SBIN", exchange="NSE", action="BUY",
                       pricetype="LIMIT", product="MIS", quantity=1).status_code == 400  # no price
    page = browser.client.get("/analyzer").get_data(as_text=True)
    assert "2 requests logged so far" in page and "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold</b>" not in page
    refused = browser.client.get("/analyzer?status=error").get_data(as_text=True)
    assert "price must be greater than 0 for LIMIT orders." in refused and "&lt;b&gt;bold" not in refused
    by_strategy = browser.client.get("/analyzer?strategy=s2&action=placeorder").get_data(as_text=True)
    assert by_strategy.count('class="badge text-bg-danger">refused') == 1
    browser.post_form("/analyzer/toggle", mode="live")
    assert 'id="analyzer-band"' not in browser.client.get("/analyzer").get_data(as_text=True)


def test_analyzer_page_shows_the_sandbox_account_and_resets_it_with_a_chosen_capital(browser: Browser):
    assert browser.api("placeorder", strategy="s1", symbol="SBIN", exchange="NSE", action="BUY",
                       pricetype="MARKET", product="MIS", quantity=1).status_code == 200
    html = browser.client.get("/analyzer").get_data(as_text=True)
    assert 'data-field="capital">10,000,000.00<' in html and 'id="sandbox-reset"' in html
    no_token = browser.client.post("/analyzer/reset", data={"capital": "500000"})
    assert no_token.status_code == 400                       # CSRF: nothing is reset
    refused = browser.post_form("/analyzer/reset", capital="12 lakh")
    assert refused.status_code == 400 and "capital must be an amount in INR" in refused.get_data(as_text=True)
    done = browser.post_form("/analyzer/reset", capital="500000")
    assert done.status_code == 302
    html = browser.client.get("/analyzer").get_data(as_text=True)
    assert "Sandbox account reset: capital 500,000.00 INR." in html
    assert 'data-field="capital">500,000.00<' in html and 'data-field="availablecash">500,000.00<' in html
    assert browser.api("positionbook").get_json()["data"] == []
