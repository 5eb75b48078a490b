"""Shoonya (Finvasia) broker plugin: the Noren OMS core (broker/noren/) configured for Shoonya.

Login (Noren QuickAuth): the user types their Shoonya user id, password and the TOTP of the moment;
the vendor code and API secret of the API key (prism.shoonya.com → API key) are settings. Settings:
SHOONYA_VENDOR_CODE, SHOONYA_API_SECRET, SHOONYA_IMEI, and the endpoint URLs SHOONYA_API_URL,
SHOONYA_WS_URL, SHOONYA_MASTER_URL (Shoonya's own by default; tests point them at tests/fakes/noren).
"""
from __future__ import annotations

from broker.contract import BrokerPlugin, Manifest, PluginConfig, SettingSpec
from broker.noren import NorenBroker, build_plugin
from broker.noren.auth import ShoonyaAuth
from broker.noren.plugin import capabilities
from utils import setting_types

API_URL = "https://api.shoonya.com/NorenWClientTP"
WS_URL = "wss://api.shoonya.com/NorenWSTP/"
MASTER_URL = "https://api.shoonya.com"
MASTER_EXCHANGES = ("NSE", "BSE", "NFO", "BFO", "CDS", "MCX")

MANIFEST = Manifest(
    name="shoonya", display_name="Shoonya", auth_type="totp",
    settings=(
        SettingSpec(name="SHOONYA_VENDOR_CODE", label="Vendor code",
                    description="the vendor code of your Shoonya API key (prism.shoonya.com → API key), e.g. FA12345_U"),
        SettingSpec(name="SHOONYA_API_SECRET", label="API secret", secret=True,
                    description="the API secret (app key) of the same Shoonya API key"),
        SettingSpec(name="SHOONYA_IMEI", label="Device id", required=False, default="openalgo-server",
                    description="the `imei` Shoonya's login takes: any stable text naming this server"),
        SettingSpec(name="SHOONYA_API_URL", label="Noren REST base URL", required=False, default=API_URL,
                    parse=setting_types.http_url, description="Shoonya's Noren REST API (change only to test)"),
        SettingSpec(name="SHOONYA_WS_URL", label="Noren WebSocket URL", required=False, default=WS_URL,
                    parse=setting_types.ws_url, description="market feed and order updates (change only to test)"),
        SettingSpec(name="SHOONYA_MASTER_URL", label="Symbol files base URL", required=False, default=MASTER_URL,
                    parse=setting_types.http_url,
                    description="where <EXCH>_symbols.txt.zip are published (change only to test)"),
    ),
    login_fields=(
        SettingSpec(name="user_id", label="Shoonya user id"),
        SettingSpec(name="password", label="Password", secret=True,
                    description="your Shoonya login password (sent hashed, never stored)"),
        SettingSpec(name="totp", label="TOTP code", description="the 6-digit code your authenticator app shows now"),
    ),
    description="Shoonya by Finvasia through the Noren OMS API (REST, JSON WebSocket feed and order updates)",
    homepage="https://github.com/Shoonya-Dev/ShoonyaApi-py",
)

CAPABILITIES = capabilities({"session_expiry": "daily, at the OMS session reset (before 05:00 IST)",
                             "quotes": "one GetQuotes call per instrument (no batch endpoint)"})


def create_plugin(config: PluginConfig) -> BrokerPlugin:
    master = str(config.get("SHOONYA_MASTER_URL") or MASTER_URL).rstrip("/")
    broker = NorenBroker(
        manifest=MANIFEST, capabilities=CAPABILITIES, api_url=str(config.get("SHOONYA_API_URL") or API_URL),
        ws_url=str(config.get("SHOONYA_WS_URL") or WS_URL),
        master_files=tuple((f"{master}/{exch}_symbols.txt.zip", True) for exch in MASTER_EXCHANGES),
        auth=lambda client: ShoonyaAuth(client, str(config.get("SHOONYA_VENDOR_CODE") or ""),
                                        str(config.get("SHOONYA_API_SECRET") or ""),
                                        str(config.get("SHOONYA_IMEI") or "openalgo-server")))
    return build_plugin(broker, config)
