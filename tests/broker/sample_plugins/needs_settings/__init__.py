"""A valid plugin that needs an API key setting, like most real brokers."""
from broker.contract import (AuthAdapter, BrokerPlugin, CapabilityMap, DataAdapter, FundsAdapter, Manifest,
                             MasterContractLoader, OrderAdapter, PluginConfig, SettingSpec)
from broker.errors import ErrorTable
from utils import setting_types

MANIFEST = Manifest(name="needs_settings", display_name="Needs Settings", auth_type="oauth",
                    settings=(SettingSpec(name="NEEDS_SETTINGS_API_KEY", label="API key", secret=True),
                              SettingSpec(name="NEEDS_SETTINGS_API_URL", label="API base URL", required=False,
                                          default="https://api.example.com", parse=setting_types.http_url)))
SEEN: list[dict] = []   # the settings each create_plugin call received


def create_plugin(config: PluginConfig) -> BrokerPlugin:
    SEEN.append(dict(config.settings))
    return BrokerPlugin(
        manifest=MANIFEST,
        capabilities=CapabilityMap(operations=frozenset(), exchanges=frozenset({"NSE"})),
        auth=AuthAdapter(), orders=OrderAdapter(), data=DataAdapter(), funds=FundsAdapter(),
        master_contract=MasterContractLoader(), error_table=ErrorTable("needs_settings"))
