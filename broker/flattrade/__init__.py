"""Flattrade broker plugin: the Noren OMS core (broker/noren/) configured for Flattrade (Pi API).

Login: Connect sends the browser to Flattrade's login page with the API key; Flattrade sends it back
to the redirect URL registered with the key (set it to http(s)://<this server>/flattrade/callback)
with a request code, which is exchanged for the session token with the SHA-256 of key, code and
secret. Settings: FLATTRADE_API_KEY, FLATTRADE_API_SECRET (wall.flattrade.in → Pi → API key), and the
endpoint URLs FLATTRADE_API_URL, FLATTRADE_WS_URL, FLATTRADE_LOGIN_URL, FLATTRADE_TOKEN_URL,
FLATTRADE_MASTER_URL (Flattrade's own by default; tests point them at tests/fakes/noren).
"""
from __future__ import annotations

from broker.contract import BrokerPlugin, Manifest, PluginConfig, SettingSpec
from broker.noren import NorenBroker, build_plugin
from broker.noren.auth import FlattradeAuth
from broker.noren.plugin import capabilities
from utils import setting_types

API_URL = "https://piconnect.flattrade.in/PiConnectTP"
WS_URL = "wss://piconnect.flattrade.in/PiConnectWSTp/"
LOGIN_URL = "https://auth.flattrade.in/"
TOKEN_URL = "https://authapi.flattrade.in/trade/apitoken"
MASTER_URL = "https://flattrade.s3.ap-south-1.amazonaws.com/scripmaster"
# Flattrade's scrip masters (public, at MASTER_URL): one CSV per segment, index and stock derivatives apart,
# every file with the same nine columns `Exchange,Token,Lotsize,Symbol,Tradingsymbol,Instrument,Expiry,
# Strike,Optiontype` (no tick size: 0.05 is assumed); futures carry Optiontype XX and no strike
MASTER_FILES = ("NSE_Equity.csv", "BSE_Equity.csv", "Nfo_Index_Derivatives.csv", "Nfo_Equity_Derivatives.csv",
                "Bfo_Index_Derivatives.csv", "Bfo_Equity_Derivatives.csv", "Currency_Derivatives.csv", "Commodity.csv")

MANIFEST = Manifest(
    name="flattrade", display_name="Flattrade", auth_type="oauth",
    settings=(
        SettingSpec(name="FLATTRADE_API_KEY", label="API key", secret=True,
                    description="create an API key at wall.flattrade.in → Pi → API key (redirect URL: "
                                "http://127.0.0.1:5000/flattrade/callback)"),
        SettingSpec(name="FLATTRADE_API_SECRET", label="API secret", secret=True,
                    description="the secret of the same Flattrade API key"),
        SettingSpec(name="FLATTRADE_API_URL", label="Pi REST base URL", required=False, default=API_URL,
                    parse=setting_types.http_url, description="Flattrade's Noren REST API (change only to test)"),
        SettingSpec(name="FLATTRADE_WS_URL", label="Pi WebSocket URL", required=False, default=WS_URL,
                    parse=setting_types.ws_url, description="market feed and order updates (change only to test)"),
        SettingSpec(name="FLATTRADE_LOGIN_URL", label="Login page", required=False, default=LOGIN_URL,
                    parse=setting_types.http_url, description="where users log in (change only to test)"),
        SettingSpec(name="FLATTRADE_TOKEN_URL", label="Token exchange URL", required=False, default=TOKEN_URL,
                    parse=setting_types.http_url, description="the API-token exchange (change only to test)"),
        SettingSpec(name="FLATTRADE_MASTER_URL", label="Master CSVs base URL", required=False, default=MASTER_URL,
                    parse=setting_types.http_url, description="where the scrip-master CSVs are (change only to test)"),
    ),
    description="Flattrade through its Pi API on the Noren OMS (REST, JSON WebSocket feed and order updates)",
    homepage="https://pi.flattrade.in/docs",
)

CAPABILITIES = capabilities({"session_expiry": "daily, at the OMS session reset (before 05:00 IST)",
                             "quotes": "one GetQuotes call per instrument (no batch endpoint)"})


def create_plugin(config: PluginConfig) -> BrokerPlugin:
    master = str(config.get("FLATTRADE_MASTER_URL") or MASTER_URL).rstrip("/")
    broker = NorenBroker(
        manifest=MANIFEST, capabilities=CAPABILITIES, api_url=str(config.get("FLATTRADE_API_URL") or API_URL),
        ws_url=str(config.get("FLATTRADE_WS_URL") or WS_URL),
        master_files=tuple((f"{master}/{name}", False) for name in MASTER_FILES),
        auth=lambda client: FlattradeAuth(client, str(config.get("FLATTRADE_API_KEY") or ""),
                                          str(config.get("FLATTRADE_API_SECRET") or ""),
                                          str(config.get("FLATTRADE_LOGIN_URL") or LOGIN_URL),
                                          str(config.get("FLATTRADE_TOKEN_URL") or TOKEN_URL)))
    return build_plugin(broker, config)
