"""The Noren OMS core: one implementation of the Noren API that several brokers run (Shoonya by
Finvasia, Flattrade; later Zebu and others), each a thin configuration in its own folder
(broker/shoonya/, broker/flattrade/) calling `build_plugin`. Not a plugin itself (broker/registry.py
NOT_PLUGINS). Read top to bottom: mapping.py, errors.py, client.py, auth.py, orders.py, data.py,
master_contract.py, streaming.py, plugin.py."""
from broker.noren.plugin import NorenBroker, build_plugin

__all__ = ["NorenBroker", "build_plugin"]
