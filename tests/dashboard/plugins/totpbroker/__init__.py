"""A broker with a form + TOTP login, standing where a real broker's login server would be: it accepts
client id "AB1234", password "pw-ok" and TOTP "123456", and refuses anything else the way a broker does."""
from __future__ import annotations

from typing import Mapping

from broker.contract import (AuthAdapter, AuthResult, BrokerPlugin, CapabilityMap, DataAdapter, FundsAdapter,
                             Manifest, MasterContractLoader, OrderAdapter, PluginConfig, SettingSpec)
from broker.errors import AuthError, ErrorTable

MANIFEST = Manifest(name="totpbroker", display_name="TOTP Broker", auth_type="totp",
                    login_fields=(SettingSpec(name="client_id", label="Client ID"),
                                  SettingSpec(name="password", label="Password", secret=True),
                                  SettingSpec(name="totp", label="TOTP code", description="6 digits from your app")))


class _Auth(AuthAdapter):
    def authenticate(self, credentials: Mapping[str, str]) -> AuthResult:
        if (credentials.get("client_id"), credentials.get("password"), credentials.get("totp")) != \
                ("AB1234", "pw-ok", "123456"):
            raise AuthError("Invalid client id, password or TOTP", broker="totpbroker")
        return AuthResult(auth_token="totp-token", broker_user_id="AB1234")


def create_plugin(config: PluginConfig) -> BrokerPlugin:
    return BrokerPlugin(manifest=MANIFEST, capabilities=CapabilityMap(operations=frozenset(), exchanges=frozenset({"NSE"})),
                        auth=_Auth(), orders=OrderAdapter(), data=DataAdapter(), funds=FundsAdapter(),
                        master_contract=MasterContractLoader(), error_table=ErrorTable("totpbroker"))
