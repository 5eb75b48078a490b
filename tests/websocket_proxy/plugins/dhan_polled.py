"""Dhan's plugin as a broker that pushes nothing would declare it: `order_updates = "poll"` and no order
feed. Everything else (orders, books, the fake Dhan server at the network boundary) is the real plugin,
so the proxy's poll-and-diff runs against Dhan's order book exactly as it would for such a broker."""
from __future__ import annotations

from dataclasses import replace

from broker.contract import BrokerPlugin, PluginConfig
from broker.dhan.plugin import MANIFEST, create_plugin as create_dhan_plugin

__all__ = ["MANIFEST", "create_plugin", "declaring"]


def declaring(config: PluginConfig, order_updates: str) -> BrokerPlugin:
    """Dhan's plugin with its push feed taken away and `order_updates` declared instead."""
    plugin = create_dhan_plugin(config)
    return replace(plugin, capabilities=replace(plugin.capabilities, order_updates=order_updates), order_feed=None)


def create_plugin(config: PluginConfig) -> BrokerPlugin:
    return declaring(config, "poll")
