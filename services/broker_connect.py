"""The dashboard's broker page use cases: which brokers a user can connect, connecting (one click, a
login form, or the OAuth round-trip), disconnecting, and the master-contract download that follows a
connect. Sessions themselves live in services/broker_session.py; this module adds the audit trail
and starts the contract download in the background."""
from __future__ import annotations

from typing import Any, Mapping

from flask import Flask

from broker.contract import BrokerPlugin
from services import audit, broker_session, master_contract
from services.brokers import registry
from utils.logging import get_logger

log = get_logger(__name__)


def offered() -> list[dict[str, Any]]:
    """Every installed plugin with what the page shows: name, auth type, login fields, whether it can be
    connected here and, if not, why (unavailable, not in VALID_BROKERS, settings missing)."""
    rows = []
    for entry in registry().list():
        info = entry.describe()
        manifest = entry.plugin.manifest if entry.plugin is not None else None
        why = "" if entry.available else entry.reason
        if entry.available and not entry.allowed:
            why = "not enabled on this server (VALID_BROKERS)"
        elif entry.available and entry.missing_settings:
            why = "needs settings: " + ", ".join(entry.missing_settings)
        rows.append({"name": entry.name, "display_name": info.get("display_name", entry.name),
                     "auth_type": info.get("auth_type", ""), "description": manifest.description if manifest else "",
                     "login_fields": list(manifest.login_fields) if manifest else [],
                     "connectable": entry.available and entry.allowed and entry.configured, "why_not": why})
    return sorted(rows, key=lambda row: (not row["connectable"], row["name"] != "paper", row["name"]))


def plugin(broker: str) -> BrokerPlugin:
    """The plugin the user may connect now (UnknownBroker names what to change)."""
    return registry().get_connectable(broker)


def login_url(broker: str, state: str) -> str:
    """Where an OAuth-style broker's login starts; `state` comes back on the callback."""
    return plugin(broker).auth.login_url(state)


def connect(app: Flask, user_id: int, broker: str, credentials: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Log in (AuthError / UnknownBroker on failure), record it, start today's contract download."""
    info = broker_session.connect(user_id, broker, credentials)
    audit.record(user_id, "broker_connected", broker=broker)
    start_contract_download(app, user_id, broker)
    return info


def disconnect(user_id: int) -> bool:
    state = broker_session.state(user_id)
    ended = broker_session.disconnect(user_id)
    if ended:
        audit.record(user_id, "broker_disconnected", broker=state["broker"], reason="dashboard")
    return ended


def start_contract_download(app: Flask, user_id: int, broker: str, *, force: bool = False) -> bool:
    """Download the broker's master contract in the background unless done today (or `force`)."""
    loader = registry().get(broker)
    if not loader.capabilities.supports("master_contract"):
        return False
    if not force and master_contract.downloaded_today(broker):
        return False
    session = broker_session.live_session(user_id).session
    master_contract.download_in_background(app, broker, loader, force=force, session=session)
    return True


def contract_status(broker: str | None) -> dict[str, Any] | None:
    return master_contract.status(broker) if broker else None
