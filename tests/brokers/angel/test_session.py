"""Login by client code + PIN + TOTP, logout, and the failure modes of SmartAPI through the fake."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import requests

from broker.angel.mapping import IST
from broker.contract import OrderRequest
from broker.errors import AuthError, BrokerUnavailable, NetworkError, RateLimited, TokenExpired
from broker.http import BrokerHttp, make_session
from tests.brokers.angel.conftest import SBIN, login
from tests.fakes.angel import CLIENT_CODE, PIN

ORDER_BOOK = "/rest/secure/angelbroking/order/v1/getOrderBook"


def test_login_returns_jwt_feed_token_and_client_code_until_midnight(plugin, angel):
    plugin.auth.clock = lambda: datetime(2025, 12, 30, 8, 45, tzinfo=IST)
    result = plugin.auth.authenticate({"client_code": CLIENT_CODE.lower(), "pin": PIN, "totp": angel.totp()})
    assert (result.auth_token, result.feed_token, result.broker_user_id) == (angel.jwt, angel.feed_token, CLIENT_CODE)
    assert result.expires_at == datetime(2025, 12, 31, 0, 0, tzinfo=IST).astimezone(timezone.utc)
    assert result.extra["client_code"] == CLIENT_CODE and result.extra["refresh_token"] == angel.refresh_token
    assert angel.jwt not in repr(result) and angel.jwt not in str(result.raw)
    [sent] = angel.requests_to("/rest/auth/angelbroking/user/v1/loginByPassword")
    assert sent.json == {"clientcode": CLIENT_CODE, "password": PIN, "totp": sent.json["totp"]}
    assert "Authorization" not in sent.headers and sent.headers["X-Privatekey"] == "angelapikey"


@pytest.mark.parametrize("fields, message", [
    ({"pin": PIN, "totp": "123456"}, "client code"),
    ({"client_code": CLIENT_CODE, "totp": "123456"}, "PIN"),
    ({"client_code": CLIENT_CODE, "pin": PIN}, "TOTP"),
    ({"client_code": CLIENT_CODE, "pin": PIN, "totp": "12ab"}, "6 digits")])
def test_missing_or_malformed_login_fields_are_named(plugin, fields, message):
    with pytest.raises(AuthError, match=message):
        plugin.auth.authenticate(fields)


def test_a_wrong_totp_or_pin_is_a_refused_login(plugin, angel):
    wrong = "000000" if angel.totp() != "000000" else "111111"
    with pytest.raises(AuthError, match="refused the login: Invalid totp"):
        plugin.auth.authenticate({"client_code": CLIENT_CODE, "pin": PIN, "totp": wrong})
    with pytest.raises(AuthError, match="refused the login"):
        plugin.auth.authenticate({"client_code": CLIENT_CODE, "pin": "0000", "totp": angel.totp()})


def test_logout_ends_the_session_at_angel(plugin, angel, session):
    plugin.auth.logout(session)
    assert angel.requests_to("/rest/secure/angelbroking/user/v1/logout")[0].json == {"clientcode": CLIENT_CODE}
    with pytest.raises(TokenExpired):
        plugin.funds.funds(session)


def test_token_expiry_mid_day_is_token_expired_after_one_call(plugin, angel, session):
    angel.expire_token()
    before = len(angel.requests)
    with pytest.raises(TokenExpired) as caught:
        plugin.orders.order_book(session)
    assert caught.value.code == "AG8001" and caught.value.http_status == 403
    assert len(angel.requests) == before + 1


def test_the_throttle_answer_is_rate_limited_not_a_lost_session(plugin, angel, session):
    angel.throttle(times=1, paths=("/rest/secure/angelbroking/order/v1/placeOrder",))
    with pytest.raises(RateLimited, match="exceeding access rate"):
        plugin.orders.place_order(session, OrderRequest(instrument=SBIN, action="BUY", quantity=1, pricetype="MARKET"))
    assert len(angel.requests_to("/rest/secure/angelbroking/order/v1/placeOrder")) == 1      # never re-sent


def test_http_429_on_a_read_is_retried_then_answered(plugin, angel, session):
    angel.fail_next(429, times=1, paths=(ORDER_BOOK,))
    assert plugin.orders.order_book(session)
    assert len(angel.requests_to(ORDER_BOOK)) == 2


def test_a_429_storm_ends_in_rate_limited_without_a_retry_loop(plugin, angel, session):
    angel.fail_next(429, times=50, paths=(ORDER_BOOK,))
    with pytest.raises(RateLimited):
        plugin.orders.order_book(session)
    assert len(angel.requests_to(ORDER_BOOK)) <= 3          # the first try and at most two backed-off retries
    angel.fail_next(429, times=50, paths=("/rest/secure/angelbroking/order/v1/placeOrder",))
    with pytest.raises(RateLimited):
        plugin.orders.place_order(session, OrderRequest(instrument=SBIN, action="BUY", quantity=1, pricetype="MARKET"))
    assert len(angel.requests_to("/rest/secure/angelbroking/order/v1/placeOrder")) == 1    # an order is never re-sent


def test_5xx_storm_is_broker_unavailable_without_a_retry_loop(plugin, angel, session):
    angel.fail_next(503, times=10, paths=(ORDER_BOOK,))
    with pytest.raises(BrokerUnavailable):
        plugin.orders.order_book(session)
    assert len(angel.requests_to(ORDER_BOOK)) <= 3          # the first try and at most two safe retries
    angel.fail_next(500, times=1, paths=(ORDER_BOOK,))
    with pytest.raises(BrokerUnavailable):
        plugin.orders.order_book(session)


def test_a_malformed_body_is_broker_unavailable(plugin, angel, session):
    angel.fail_next(200, body="<html>gateway hiccup</html>", paths=(ORDER_BOOK,))
    with pytest.raises(BrokerUnavailable, match="not JSON"):
        plugin.orders.order_book(session)


def test_a_slow_answer_is_a_network_error(angel):
    from broker.angel import create_plugin
    from broker.contract import PluginConfig
    from tests.brokers.angel.conftest import settings_for

    http = BrokerHttp("angel", session=make_session(retries=0), timeout=(1.0, 0.3))
    plugin = create_plugin(PluginConfig(settings=settings_for(angel), http=http))
    session = login(plugin, angel)
    angel.slow(0.8, paths=(ORDER_BOOK,))
    with pytest.raises(NetworkError):
        plugin.orders.order_book(session)


def test_books_wait_for_angels_one_call_a_second_while_details_do_not(plugin, angel, session):
    import time

    started = time.monotonic()
    plugin.orders.order_book(session)
    plugin.orders.order_book(session)
    assert time.monotonic() - started >= 0.8                 # getOrderBook: 1 a second (docs, "Rate Limits")
    ack = plugin.orders.place_order(session, OrderRequest(instrument=SBIN, action="BUY", quantity=1, pricetype="MARKET"))
    started = time.monotonic()
    for _ in range(3):
        plugin.orders.order_status(session, ack.order_id)     # order details: 10 a second
    assert time.monotonic() - started < 0.8


def test_the_fake_refuses_calls_without_the_documented_headers(angel):
    answer = requests.get(angel.url + ORDER_BOOK, timeout=5)
    assert answer.status_code == 403 and answer.json()["errorcode"] == "AG8004"
