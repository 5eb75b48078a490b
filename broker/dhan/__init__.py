"""Dhan (DhanHQ v2) broker plugin. The manifest, capability map and `create_plugin` live in plugin.py;
read the folder top to bottom from there."""
from broker.dhan.plugin import CAPABILITIES, ERROR_TABLE, MANIFEST, create_plugin

__all__ = ["CAPABILITIES", "ERROR_TABLE", "MANIFEST", "create_plugin"]
