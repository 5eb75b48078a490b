"""Dhan login: a pasted access token (checked with /v2/profile) or the API-key consent flow."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from broker.errors import AuthError
from tests.brokers.dhan.conftest import make_plugin
from tests.fakes.dhan.server import APP_ID, APP_SECRET, PIN, TOTP


def test_pasted_token_is_checked_and_its_expiry_read(plugin, dhan):
    assert plugin.manifest.auth_type == "form"
    assert [f.name for f in plugin.manifest.login_fields] == ["client_id", "access_token", "pin", "totp"]
    result = plugin.auth.authenticate({"client_id": dhan.client_id, "access_token": dhan.access_token})
    assert result.auth_token == dhan.access_token and result.broker_user_id == dhan.client_id
    assert abs(result.expires_at - dhan.token_validity.astimezone(timezone.utc)) < timedelta(minutes=1)
    assert dhan.access_token not in repr(result.raw) and dhan.access_token not in repr(result)
    profile = dhan.requests_to("/v2/profile")[-1]
    assert profile.headers["Access-Token"] == dhan.access_token and profile.headers["Client-Id"] == dhan.client_id


def test_a_wrong_or_missing_token_is_refused_clearly(plugin, dhan):
    with pytest.raises(AuthError, match="invalid or expired") as refused:
        plugin.auth.authenticate({"client_id": dhan.client_id, "access_token": "stale-token"})
    assert "stale-token" not in str(refused.value)
    with pytest.raises(AuthError, match="either an access token"):
        plugin.auth.authenticate({"client_id": dhan.client_id, "access_token": " "})


def test_api_key_consent_flow(dhan):
    plugin = make_plugin(dhan, DHAN_CLIENT_ID=dhan.client_id, DHAN_API_KEY=APP_ID, DHAN_API_SECRET=APP_SECRET)
    assert plugin.manifest.auth_type == "oauth" and plugin.manifest.login_fields == ()
    url = plugin.auth.login_url("ignored-state")
    assert url == f"{dhan.root}/login/consentApp-login?consentAppId=consent-app-1"
    result = plugin.auth.authenticate({"tokenId": "token-id-1"})
    assert result.auth_token == dhan.access_token and result.expires_at > datetime.now(timezone.utc)
    assert "accessToken" not in result.raw


def test_consent_flow_with_a_wrong_secret(dhan):
    plugin = make_plugin(dhan, DHAN_CLIENT_ID=dhan.client_id, DHAN_API_KEY=APP_ID, DHAN_API_SECRET="wrong")
    with pytest.raises(AuthError, match="Invalid app_id or app_secret"):
        plugin.auth.login_url("s")
    assert APP_SECRET not in str(plugin.manifest)


def test_pin_and_totp_generate_the_token(plugin, dhan):
    result = plugin.auth.authenticate({"client_id": dhan.client_id, "pin": PIN, "totp": TOTP})
    assert result.auth_token == dhan.access_token and result.expires_at > datetime.now(timezone.utc)
    sent = dhan.requests_to("/app/generateAccessToken")[-1]
    assert sent.args == {"dhanClientId": [dhan.client_id], "pin": [PIN], "totp": [TOTP]}
    with pytest.raises(AuthError, match="Invalid PIN or TOTP"):
        plugin.auth.authenticate({"client_id": dhan.client_id, "pin": PIN, "totp": "000000"})
