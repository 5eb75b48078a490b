"""A plugin that declares what it does not implement and uses values outside the contract."""
from broker.contract import (AuthAdapter, BrokerPlugin, CapabilityMap, DataAdapter, FundsAdapter, Manifest,
                             MasterContractLoader, OrderAdapter, PluginConfig)


def create_plugin(config: PluginConfig) -> BrokerPlugin:
    return BrokerPlugin(
        manifest=Manifest(name="breaks_contract", display_name="Breaks", auth_type="password"),
        capabilities=CapabilityMap(operations=frozenset({"place_order", "teleport"}), exchanges=frozenset({"NYSE"})),
        auth=AuthAdapter(), orders=OrderAdapter(), data=DataAdapter(), funds=FundsAdapter(),
        master_contract=MasterContractLoader())
