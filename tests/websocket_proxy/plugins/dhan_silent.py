"""Dhan's plugin as a broker that reports no order changes at all would declare it: `order_updates =
"none"` (see dhan_polled.py)."""
from __future__ import annotations

from broker.contract import BrokerPlugin, PluginConfig
from tests.websocket_proxy.plugins.dhan_polled import MANIFEST, declaring

__all__ = ["MANIFEST", "create_plugin"]


def create_plugin(config: PluginConfig) -> BrokerPlugin:
    return declaring(config, "none")
