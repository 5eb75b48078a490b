"""Plugin variants the order-update tests load under a real broker's name (BROKER_PLUGIN_MODULES)."""
