"""A valid plugin that needs an API key setting, like most real brokers."""
from broker.contract import (AuthAdapter, BrokerPlugin, CapabilityMap, DataAdapter, FundsAdapter, Manifest,
                             MasterContractLoader, OrderAdapter, PluginConfig, SettingSpec)


def create_plugin(config: PluginConfig) -> BrokerPlugin:
    return BrokerPlugin(
        manifest=Manifest(name="needs_settings", display_name="Needs Settings", auth_type="oauth",
                          settings=(SettingSpec(name="BROKER_API_KEY", label="API key", secret=True),)),
        capabilities=CapabilityMap(operations=frozenset(), exchanges=frozenset({"NSE"})),
        auth=AuthAdapter(), orders=OrderAdapter(), data=DataAdapter(), funds=FundsAdapter(),
        master_contract=MasterContractLoader())
