"""Test broker plugins for the dashboard's broker page (loaded through BROKER_PLUGIN_PACKAGES)."""
