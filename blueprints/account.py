"""Signed-in account pages: profile (password, TOTP), API key, audit log."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, session, url_for

from blueprints import web_session
from blueprints.forms import ConfirmForm, PasswordChangeForm, RegenerateKeyForm, TotpConfirmForm
from blueprints.web_session import login_required
from database import users
from services import accounts, api_keys, audit, totp
from services.session_expiry import IST
from utils.errors import DomainError

bp = Blueprint("account", __name__)
_PENDING_TOTP = "totp_pending"  # encrypted candidate seed during enrollment


def _profile_page(password_form=None, totp_form=None, error=None, status=200):
    user = web_session.current_user()
    enrolled = bool(users.get(user.id).totp_secret)
    pending = totp.decrypt_candidate(session[_PENDING_TOTP]) if _PENDING_TOTP in session else None
    return render_template(
        "account/profile.html", password_form=password_form or PasswordChangeForm(),
        totp_form=totp_form or TotpConfirmForm(), start_form=ConfirmForm(), enrolled=enrolled,
        pending_seed=pending, qr=totp.qr_data_uri(pending, user.username) if pending else None, error=error,
        session_ends=web_session.session_ends(),
    ), status


@bp.get("/profile")
@login_required
def profile():
    return _profile_page()


@bp.post("/profile/password")
@login_required
def change_password():
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return _profile_page(password_form=form, status=400)
    try:
        user = accounts.change_password(web_session.current_user().id, form.old_password.data, form.new_password.data)
    except DomainError as exc:
        return _profile_page(password_form=form, error=str(exc), status=400)
    web_session.start(user)  # this browser stays signed in; the others are signed out
    flash("Password changed. Other browsers were signed out.")
    return redirect(url_for("account.profile"))


@bp.post("/profile/totp/start")
@login_required
def start_totp():
    _, sealed = totp.new_candidate()
    session[_PENDING_TOTP] = sealed
    return redirect(url_for("account.profile") + "#totp")


@bp.post("/profile/totp/confirm")
@login_required
def confirm_totp():
    form = TotpConfirmForm()
    sealed = session.get(_PENDING_TOTP)
    seed = totp.decrypt_candidate(sealed) if sealed else None
    if seed is None:
        return _profile_page(error="Start the authenticator set-up first.", status=400)
    if not form.validate_on_submit() or not totp.enroll(web_session.current_user().id, seed, form.code.data):
        return _profile_page(totp_form=form, error="That code is not valid; check the time on your phone.", status=400)
    session.pop(_PENDING_TOTP, None)
    flash("Authenticator enrolled. You can now reset a forgotten password with it.")
    return redirect(url_for("account.profile"))


@bp.get("/apikey")
@login_required
def apikey():
    return _apikey_page(RegenerateKeyForm())


def _apikey_page(form: RegenerateKeyForm, status: int = 200):
    settings = current_app.extensions["openalgo.settings"]
    page = render_template("account/apikey.html", masked=api_keys.masked(web_session.current_user().id), form=form,
                           host=settings.HOST_SERVER, ws_url=settings.websocket_url)
    return page, status


@bp.post("/apikey/reveal")
@login_required
def reveal_apikey():
    """AJAX (CSRF header): the full key, so it never sits in the page until asked for."""
    key = api_keys.reveal(web_session.current_user().id)
    response = jsonify({"status": "success", "apikey": key}) if key else \
        (jsonify({"status": "error", "message": "No API key yet; create one first."}), 404)
    return response


@bp.post("/apikey/regenerate")
@login_required
def regenerate_apikey():
    user = web_session.current_user()
    form = RegenerateKeyForm()
    had_key = api_keys.masked(user.id) is not None
    if had_key and not form.validate_on_submit():
        return _apikey_page(form, 400)
    api_keys.issue(user.id, source="web")
    flash("New API key created; the old one no longer works." if had_key else "API key created.")
    return redirect(url_for("account.apikey"))


@bp.app_template_filter("ist")
def ist(moment: datetime) -> str:
    if moment.tzinfo is None:  # SQLite hands back the stored UTC time without its zone
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(IST).strftime("%d-%b-%Y %H:%M:%S")


@bp.get("/audit")
@login_required
def audit_log():
    before = request.args.get("before", type=int)
    entries = audit.entries(web_session.current_user().id, before_id=before)
    older = entries[-1].id if len(entries) == audit.PAGE_SIZE else None
    return render_template("account/audit.html", entries=entries, older=older)
