"""Login, logout, token expiry and transient failures through the fake Kite server."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qs, urlparse

import pytest

from broker.contract import OrderRequest
from broker.errors import AuthError, BrokerUnavailable, RateLimited, TokenExpired
from broker.zerodha.mapping import IST
from tests.brokers.zerodha.conftest import INFY
from tests.fakes.kite_server import REQUEST_TOKEN


def test_login_url_carries_the_api_key_and_our_state(plugin):
    url = urlparse(plugin.auth.login_url("s123"))
    assert (url.netloc, url.path) == ("kite.zerodha.com", "/connect/login")
    query = parse_qs(url.query)
    assert query["v"] == ["3"] and query["api_key"] == ["kiteapikey"] and query["redirect_params"] == ["state=s123"]


def test_callback_request_token_becomes_a_session_until_six_next_morning(kite, plugin):
    plugin.auth.clock = lambda: datetime(2025, 12, 30, 8, 45, tzinfo=IST)
    result = plugin.auth.authenticate({"request_token": REQUEST_TOKEN, "status": "success"})
    assert result.auth_token == kite.access_token and result.broker_user_id == "XX0000"
    assert result.expires_at == datetime(2025, 12, 31, 6, 0, tzinfo=IST)
    assert "access_token" not in result.raw and kite.access_token not in repr(result)
    # the feed takes the api key and the ticker URL from the plugin's settings: neither (nor a test
    # server's address) is stored in the user's session
    assert dict(result.extra) == {"user_name": result.extra["user_name"]}
    [sent] = kite.requests_to("/session/token", "POST")
    assert sent.form["checksum"] == kite.checksum() and "Authorization" not in sent.headers


def test_a_refused_or_missing_request_token_is_an_auth_error(plugin):
    with pytest.raises(AuthError, match="refused the login"):
        plugin.auth.authenticate({"request_token": "stale"})
    with pytest.raises(AuthError, match="did not complete"):
        plugin.auth.authenticate({"status": "cancelled"})


def test_logout_invalidates_the_token_at_kite(kite, plugin, session):
    plugin.auth.logout(session)
    [sent] = kite.requests_to("/session/token", "DELETE")
    assert sent.args == {"api_key": ["kiteapikey"], "access_token": [kite.access_token]}
    with pytest.raises(TokenExpired):
        plugin.funds.funds(session)


def test_token_expiry_mid_day_is_token_expired_and_not_retried(kite, plugin, session):
    kite.expire_token()
    with pytest.raises(TokenExpired, match="access_token") as caught:
        plugin.orders.order_book(session)
    assert not caught.value.retryable and caught.value.code == "TokenException"
    assert len(kite.requests_to("/orders")) == 1


def test_a_throttled_read_is_retried_and_succeeds(kite, plugin, session):
    kite.fail_next(429, "NetworkException", "Too many requests")
    assert plugin.data.quote(session, INFY).ltp == 1412.95
    assert len(kite.requests_to("/quote")) == 2


def test_persistent_throttling_and_outages_surface_as_transient_errors(kite, plugin, session):
    kite.fail_next(429, "NetworkException", "Too many requests", times=3)
    with pytest.raises(RateLimited) as caught:
        plugin.funds.funds(session)
    assert caught.value.retryable
    kite.fail_next(503, None, "Service unavailable", times=3)
    with pytest.raises(BrokerUnavailable):
        plugin.funds.funds(session)
    assert plugin.funds.funds(session).available_cash > 0      # and then it works again


def test_an_order_is_never_resent_after_a_gateway_error(kite, plugin, session):
    kite.fail_next(503, None, "Service unavailable", paths=("/orders/",))
    with pytest.raises(BrokerUnavailable):
        plugin.orders.place_order(session, OrderRequest(instrument=INFY, action="BUY", quantity=1,
                                                        product="CNC", pricetype="MARKET"))
    assert len(kite.requests_to("/orders/", "POST")) == 1 and kite.orders == {}


def test_master_contract_download(kite, plugin):
    steps = []
    rows = list(plugin.master_contract.download(None, steps.append))
    assert len(rows) == 99 and steps[-1] == "99 instruments read"
    assert kite.requests_to("/instruments")[0].headers["X-Kite-Version"] == "3"
