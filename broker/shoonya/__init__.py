"""Shoonya (Finvasia) broker plugin: the Noren OMS core (broker/noren/) configured for Shoonya.

Login (Noren OAuth): Connect sends the browser to Shoonya's OAuth page with the API key's client id;
the user signs in there (password, TOTP) and Shoonya sends the browser back to the redirect URL
registered with the key (set it to http(s)://<this server>/shoonya/callback) with a code, exchanged at
GenAcsTok for an access token (SHA-256 checksum of client id, secret code and code). Every REST call then
carries `Authorization: Bearer <access token>` (the OAuth API, NorenWClientAPI). Settings:
SHOONYA_CLIENT_ID, SHOONYA_API_SECRET (prism.shoonya.com → API key), and the endpoint URLs
SHOONYA_API_URL, SHOONYA_LOGIN_URL, SHOONYA_WS_URL, SHOONYA_MASTER_URL (Shoonya's own by default; tests
point them at tests/fakes/noren).
"""
from __future__ import annotations

from broker.contract import BrokerPlugin, Manifest, PluginConfig, SettingSpec
from broker.noren import NorenBroker, build_plugin
from broker.noren.auth import ShoonyaAuth
from broker.noren.plugin import capabilities
from utils import setting_types

API_URL = "https://api.shoonya.com/NorenWClientAPI"
LOGIN_URL = "https://api.shoonya.com/OAuthlogin/authorize/oauth"
WS_URL = "wss://api.shoonya.com/NorenWSTP/"
MASTER_URL = "https://api.shoonya.com"
MASTER_EXCHANGES = ("NSE", "BSE", "NFO", "BFO", "CDS", "MCX")

MANIFEST = Manifest(
    name="shoonya", display_name="Shoonya", auth_type="oauth",
    settings=(
        SettingSpec(name="SHOONYA_CLIENT_ID", label="Client id",
                    description="the client id of your Shoonya API key (prism.shoonya.com → API key), e.g. "
                                "FA12345_U; register the redirect URL http://127.0.0.1:5000/shoonya/callback"),
        SettingSpec(name="SHOONYA_API_SECRET", label="Secret code", secret=True,
                    description="the secret code of the same Shoonya API key"),
        SettingSpec(name="SHOONYA_API_URL", label="Noren REST base URL", required=False, default=API_URL,
                    parse=setting_types.http_url, description="Shoonya's Noren OAuth API (change only to test)"),
        SettingSpec(name="SHOONYA_LOGIN_URL", label="OAuth login page", required=False, default=LOGIN_URL,
                    parse=setting_types.http_url, description="where users log in (change only to test)"),
        SettingSpec(name="SHOONYA_WS_URL", label="Noren WebSocket URL", required=False, default=WS_URL,
                    parse=setting_types.ws_url, description="market feed and order updates (change only to test)"),
        SettingSpec(name="SHOONYA_MASTER_URL", label="Symbol files base URL", required=False, default=MASTER_URL,
                    parse=setting_types.http_url,
                    description="where <EXCH>_symbols.txt.zip are published (change only to test)"),
    ),
    description="Shoonya by Finvasia through the Noren OMS OAuth API (REST, JSON WebSocket feed and order updates)",
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
        auth=lambda client: ShoonyaAuth(client, str(config.get("SHOONYA_CLIENT_ID") or ""),
                                        str(config.get("SHOONYA_API_SECRET") or ""),
                                        str(config.get("SHOONYA_LOGIN_URL") or LOGIN_URL)),
        bearer=True)
    return build_plugin(broker, config)
