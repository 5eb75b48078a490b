"""Login, logout, token expiry and transient failures through the fake Upstox."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from broker.contract import OrderRequest
from broker.errors import AuthError, BrokerUnavailable, RateLimited, TokenExpired
from broker.upstox.mapping import IST
from tests.brokers.upstox.conftest import REDIRECT_URL, SBIN
from tests.fakes.upstox import AUTH_CODE, CLIENT_ID


def test_login_url_is_the_authorization_dialog_with_our_state(upstox, plugin):
    url = urlparse(plugin.auth.login_url("s123"))
    assert url.path == "/v2/login/authorization/dialog"
    assert parse_qs(url.query) == {"response_type": ["code"], "client_id": [CLIENT_ID],
                                   "redirect_uri": [REDIRECT_URL], "state": ["s123"]}
    redirect = requests.get(plugin.auth.login_url("s123"), allow_redirects=False, timeout=5)
    assert parse_qs(urlparse(redirect.headers["Location"]).query) == {"code": [AUTH_CODE], "state": ["s123"]}


@pytest.mark.parametrize("logged_in, expires", [
    (datetime(2025, 12, 30, 8, 45, tzinfo=IST), datetime(2025, 12, 31, 3, 30, tzinfo=IST)),
    (datetime(2025, 12, 31, 1, 10, tzinfo=IST), datetime(2025, 12, 31, 3, 30, tzinfo=IST))])
def test_the_code_becomes_a_session_until_half_past_three_ist(upstox, plugin, logged_in, expires):
    plugin.auth.clock = lambda: logged_in
    result = plugin.auth.authenticate({"code": AUTH_CODE})
    assert result.auth_token == upstox.access_token and result.broker_user_id == "XX1234"
    assert result.expires_at == expires
    assert "access_token" not in result.raw and upstox.access_token not in repr(result)
    [sent] = upstox.requests_to("/v2/login/authorization/token", "POST")
    assert sent.form == {"code": AUTH_CODE, "client_id": CLIENT_ID, "client_secret": upstox.client_secret,
                         "redirect_uri": REDIRECT_URL, "grant_type": "authorization_code"}
    assert "Authorization" not in sent.headers


def test_a_refused_or_missing_code_is_an_auth_error(plugin):
    with pytest.raises(AuthError, match="refused the login"):
        plugin.auth.authenticate({"code": "stale"})
    with pytest.raises(AuthError, match="did not complete"):
        plugin.auth.authenticate({"error": "access_denied"})


def test_logout_revokes_the_token(upstox, plugin, session):
    plugin.auth.logout(session)
    assert upstox.requests_to("/v2/logout", "DELETE")
    with pytest.raises(TokenExpired):
        plugin.orders.order_book(session)


def test_an_expired_token_mid_day_is_token_expired_on_every_call_family(upstox, plugin, session):
    upstox.expire_token()
    for call in (lambda: plugin.orders.order_book(session), lambda: plugin.data.quote(session, SBIN),
                 lambda: plugin.funds.funds(session),
                 lambda: plugin.orders.place_order(session, OrderRequest(instrument=SBIN, action="BUY", quantity=1))):
        with pytest.raises(TokenExpired) as caught:
            call()
        assert caught.value.code == "UDAPI100050" and caught.value.http_status == 403


def test_a_429_storm_is_one_request_then_a_cool_down_without_asking_upstox(upstox, plugin, session):
    upstox.fail_next(429, "UDAPI10005", "Too Many Request Sent", times=50, paths=("/v3/order/place",))
    for _ in range(5):
        with pytest.raises(RateLimited) as caught:
            plugin.orders.place_order(session, OrderRequest(instrument=SBIN, action="BUY", quantity=1))
        assert caught.value.retry_after and caught.value.code == "UDAPI10005"
    assert len(upstox.requests_to("/v3/order/place")) == 1          # never retried, the rest refused here
    assert not [o for o in upstox.orders if o.startswith("2501")]
    assert plugin.orders.order_book(session)                        # other call families are not held up


def test_5xx_and_a_body_that_is_not_json_are_broker_unavailable(upstox, plugin, session):
    upstox.fail_next(500, "UDAPI100500", "Something went wrong")
    with pytest.raises(BrokerUnavailable):
        plugin.orders.place_order(session, OrderRequest(instrument=SBIN, action="BUY", quantity=1))
    upstox.malformed_next(times=3)
    with pytest.raises(BrokerUnavailable, match="not its JSON"):
        plugin.orders.order_book(session)


def test_a_slow_answer_is_a_network_error_and_an_order_is_sent_once(upstox, session):
    from broker.contract import PluginConfig
    from broker.errors import NetworkError
    from broker.http import BrokerHttp, make_session
    from broker.upstox import create_plugin
    from tests.brokers.upstox.conftest import plugin_settings

    http = BrokerHttp("upstox", session=make_session(retries=0), timeout=(2.0, 0.3))
    plugin = create_plugin(PluginConfig(settings=plugin_settings(upstox), http=http))
    upstox.slow_next(1.0)
    with pytest.raises(NetworkError, match="did not answer in time"):
        plugin.orders.place_order(session, OrderRequest(instrument=SBIN, action="BUY", quantity=1))
    assert len(upstox.requests_to("/v3/order/place")) == 1
