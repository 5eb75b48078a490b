"""First-run setup, sign-in, sign-out and password reset pages (`/setup`, `/auth/*`)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from blueprints import web_session
from blueprints.forms import ConfirmForm, LoginForm, ResetPasswordForm, SetupForm
from services import accounts
from utils import limiter
from utils.errors import DomainError

bp = Blueprint("auth", __name__)


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    if not accounts.setup_needed():
        abort(404)  # setup is closed once the admin exists
    form = SetupForm()
    error = None
    if form.validate_on_submit():
        try:
            accounts.create_user(form.username.data, form.email.data, form.password.data, admin=True)
        except DomainError as exc:
            error = str(exc)
        else:
            flash("Admin account created. Sign in to continue.")
            return redirect(url_for("auth.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/setup.html", form=form, error=error), status


@bp.route("/auth/login", methods=["GET", "POST"])
def login():
    wanted = web_session.safe_next(request.args.get("next"))
    if request.method == "GET" and web_session.current_user() is not None:
        return redirect(wanted or url_for("home.index"))
    form = LoginForm()
    error = None
    if request.method == "POST":
        limiter.enforce_login_limit(request.form.get("username", ""))  # per IP and per username
        if form.validate_on_submit():
            user = accounts.authenticate(form.username.data, form.password.data)
            if user is not None:
                web_session.start(user)
                return redirect(wanted or url_for("home.index"))
        error = "Wrong username or password."
    status = 401 if error else 200
    return render_template("auth/login.html", form=form, error=error, next=wanted), status


@bp.post("/auth/logout")
def logout():
    user = web_session.current_user()
    if user is not None:
        accounts.logout(user.id)
    web_session.end()
    flash("You are signed out.")
    return redirect(url_for("auth.login"))


@bp.route("/auth/reset-password", methods=["GET", "POST"])
def reset_password():
    form = ResetPasswordForm()
    error = None
    if request.method == "POST":
        limiter.enforce_login_limit(request.form.get("username", ""))  # TOTP codes must not be guessed
        if form.validate_on_submit():
            try:
                accounts.reset_password_with_totp(form.username.data, form.code.data, form.new_password.data)
            except DomainError as exc:
                error = str(exc)
            else:
                flash("Password changed. Sign in with the new password.")
                return redirect(url_for("auth.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/reset_password.html", form=form, error=error), status


@bp.app_context_processor
def _layout_context():
    """What base.html needs on every page: the signed-in user and a logout form (with CSRF token)."""
    try:
        signed_in = web_session.current_user()
    except Exception:  # an error page must render even when the database is down
        signed_in = None
    return {"signed_in": signed_in, "logout_form": ConfirmForm()}
