"""The broker page: choose and connect a broker, the OAuth callback, disconnect, and the master-contract
status with its force-download button.

Connecting depends on the plugin's auth type: "none" (paper) connects in one click; "form"/"totp" show
the fields of the plugin manifest; "oauth" sends the browser to the broker's login page, which comes back
to `/<broker>/callback` with the broker's parameters (e.g. Zerodha's request_token). A random `state`
kept in the session ties the callback to a login this browser started.
"""
from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for

from blueprints import web_session
from blueprints.layout import display_name
from blueprints.web_session import login_required
from broker.errors import BrokerError
from broker.registry import UnknownBroker
from services import broker_connect, broker_session

bp = Blueprint("broker_pages", __name__)
_PENDING = "broker_login"
AUTH_LABELS = {"none": "no login needed", "oauth": "broker login page", "form": "login form", "totp": "login + TOTP"}  # {"broker": name, "state": random} while an OAuth login is under way


def _user_id() -> int:
    return web_session.current_user().id


def _page(error: str | None = None, status: int = 200):
    user_id = _user_id()
    state = broker_session.state(user_id)
    return render_template("broker/index.html", brokers=broker_connect.offered(), session_state=state,
                           auth_labels=AUTH_LABELS,
                           contract=broker_connect.contract_status(state["broker"]), error=error), status


@bp.get("/broker")
@login_required
def broker():
    return _page()


def _connected(name: str, credentials: dict[str, Any] | None = None):
    try:
        info = broker_connect.connect(current_app._get_current_object(), _user_id(), name, credentials)  # noqa: SLF001
    except (UnknownBroker, BrokerError) as exc:
        return _page(error=f"Could not connect {name}: {exc}", status=400)
    flash(f"Connected to {display_name(info.get('broker'))}. The master contract download has started.")
    return redirect(url_for("broker_pages.broker"))


@bp.post("/broker/<name>/connect")
@login_required
def connect(name: str):
    """One button per broker (also the layout's Reconnect): what happens depends on the auth type."""
    try:
        plugin = broker_connect.plugin(name)
    except UnknownBroker as exc:
        return _page(error=str(exc), status=400)
    auth_type = plugin.manifest.auth_type
    if auth_type == "none":
        return _connected(name)
    if auth_type == "oauth":
        state = secrets.token_urlsafe(24)
        session[_PENDING] = {"broker": name, "state": state}
        try:
            return redirect(broker_connect.login_url(name, state))
        except BrokerError as exc:
            return _page(error=f"Could not start the {name} login: {exc}", status=400)
    return redirect(url_for("broker_pages.login_form", name=name))


@bp.route("/broker/<name>/login", methods=["GET", "POST"])
@login_required
def login_form(name: str):
    """Form and TOTP brokers: the manifest's login fields."""
    try:
        plugin = broker_connect.plugin(name)
    except UnknownBroker as exc:
        return _page(error=str(exc), status=400)
    fields = list(plugin.manifest.login_fields)
    if plugin.manifest.auth_type not in ("form", "totp"):
        abort(404)
    error = None
    if request.method == "POST":
        values = {spec.name: request.form.get(spec.name, "").strip() for spec in fields}
        missing = [spec.label for spec in fields if spec.required and not values[spec.name]]
        if not missing:
            return _connected(name, values)
        error = "Fill in: " + ", ".join(missing)
    return render_template("broker/login.html", plugin=plugin, fields=fields, error=error), 400 if error else 200


@bp.get("/<name>/callback")
@login_required
def callback(name: str):
    """Where an OAuth-style broker sends the browser back after its login."""
    pending = session.pop(_PENDING, None)
    if not pending or pending.get("broker") != name:
        return _page(error=f"No {name} login was started from this browser; press Connect again.", status=400)
    if "state" in request.args and not secrets.compare_digest(request.args["state"], pending["state"]):
        return _page(error="The broker login came back for another login attempt; press Connect again.", status=400)
    credentials = {key: value for key, value in request.args.items() if key != "state"}
    return _connected(name, credentials)


@bp.post("/broker/disconnect")
@login_required
def disconnect():
    ended = broker_connect.disconnect(_user_id())
    flash("Broker disconnected; the session was revoked." if ended else "No broker session to end.")
    return redirect(url_for("broker_pages.broker"))


@bp.post("/broker/contract/download")
@login_required
def force_download():
    state = broker_session.state(_user_id())
    if state["state"] != "connected":
        return _page(error="Connect a broker first; the download uses its session.", status=400)
    started = broker_connect.start_contract_download(current_app._get_current_object(), _user_id(),  # noqa: SLF001
                                                     state["broker"], force=True)
    flash("Master contract download started." if started else "This broker has no master contract to download.")
    return redirect(url_for("broker_pages.broker"))


@bp.get("/broker/contract/status")
@login_required
def contract_status():
    """JSON for the page's progress line (polled while a download runs)."""
    state = broker_session.state(_user_id())
    status = broker_connect.contract_status(state["broker"]) or {"state": "none"}
    return jsonify({key: (value.isoformat() if hasattr(value, "isoformat") else value) for key, value in status.items()})
