"""Order and webhook limits, client IPs behind a proxy, and what the audit log refuses to store."""
from __future__ import annotations

import pytest
from flask import Flask
from flask_restx import Namespace, Resource

from restx_api.auth import api_key_required, order_rate_limited
from services import audit
from services.auth import ApiPrincipal
from tests.security.conftest import create_user, issue_key, login
from utils import limiter


@pytest.fixture
def app_with_order_endpoint(make_security_app) -> Flask:
    """An app with an order-like endpoint built the way order endpoints will be (issue 5)."""
    app = make_security_app(ORDER_RATE_LIMIT="2 per minute")
    ns = Namespace("fakeorder")

    @ns.route("")
    class FakeOrder(Resource):
        @api_key_required
        @order_rate_limited
        def post(self, principal: ApiPrincipal):
            return {"status": "success", "user": principal.username}

    app.extensions["openalgo.api"].add_namespace(ns, path="/fakeorder")
    return app


def test_order_endpoints_have_their_own_per_key_limit(app_with_order_endpoint: Flask):
    app = app_with_order_endpoint
    key = issue_key(app, create_user(app))
    client = app.test_client()
    answers = [client.post("/api/v1/fakeorder", json={"apikey": key}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[0].get_json() == {"status": "success", "user": "admin"}
    assert answers[2].get_json()["retry_after"] >= 1
    assert client.post("/api/v1/ping", json={"apikey": key}).status_code == 200  # other endpoints unaffected


def test_webhook_limit_is_per_webhook_id(make_security_app):
    app = make_security_app(WEBHOOK_RATE_LIMIT="2 per minute")
    with app.test_request_context("/strategy/webhook/one", method="POST"):
        limiter.enforce_webhook_limit("one")
        limiter.enforce_webhook_limit("one")
        limiter.enforce_webhook_limit("two")
        with pytest.raises(limiter.RateLimited) as caught:
            limiter.enforce_webhook_limit("one")
    assert caught.value.code == 429 and 1 <= caught.value.retry_after <= 60


@pytest.mark.parametrize("proxies, expected", [("1", {"198.51.100.0", "198.51.100.1"}), ("0", {"127.0.0.1"})])
def test_client_ip_comes_from_the_proxy_header_only_when_trusted(make_security_app, proxies, expected):
    app = make_security_app(TRUSTED_PROXIES=proxies)
    user_id = create_user(app)
    for n in range(2):  # two clients behind one proxy
        client = app.test_client()
        client.environ_base["HTTP_X_FORWARDED_FOR"] = f"198.51.100.{n}"
        assert login(client, "admin").status_code == 302
    with app.app_context():
        assert {e.ip for e in audit.entries(user_id)} == expected


def test_audit_refuses_secret_looking_details_and_unknown_events(sec_app: Flask):
    user_id = create_user(sec_app)
    with sec_app.app_context():
        for detail in ({"password": "x"}, {"api_key": "x"}, {"totp_code": "123456"}, {"auth_token": "x"}):
            with pytest.raises(ValueError, match="looks like a secret"):
                audit.record(user_id, "login", **detail)
        with pytest.raises(ValueError, match="unknown audit event"):
            audit.record(user_id, "something_else")
        audit.record(user_id, "broker_connected", broker="paper", note="token=abcdef0123456789abcdef0123456789ab")
        entry = audit.entries(user_id)[0]
    assert entry.details == {"broker": "paper", "note": "token=****"}


def test_csrf_failure_page_explains_what_to_do(sec_app: Flask):
    create_user(sec_app)
    page = sec_app.test_client().post("/auth/login", data={"username": "admin", "password": "x"})
    assert page.status_code == 400 and b"reload the page" in page.data


def test_api_keeps_working_and_limiting_when_redis_is_down(make_security_app):
    from tests.support.net import free_port

    app = make_security_app(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0", API_RATE_LIMIT="2 per minute",
                            ORDER_RATE_LIMIT="1 per minute")
    key = issue_key(app, create_user(app))
    client = app.test_client()
    assert [client.post("/api/v1/ping", json={"apikey": key}).status_code for _ in range(3)] == [200, 200, 429]
    browser = app.test_client()
    assert [login(browser, "admin", f"bad-{n}").status_code for n in range(6)][-1] == 429
