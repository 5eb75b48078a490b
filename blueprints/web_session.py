"""The browser session: who is signed in, until when, and the `login_required` guard.

The session is Flask's signed cookie (APP_KEY). It holds the user id, the sign-in time and the user's
`session_version`; a page request is accepted only while the user still exists, the version still
matches (logout and password changes bump it, ending every browser of that user) and the daily expiry
(SESSION_EXPIRY_TIME, IST) has not passed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from functools import wraps
from typing import Callable
from urllib.parse import urlsplit

from flask import current_app, g, redirect, request, session, url_for

from database import users
from services.session_expiry import expires_at, is_expired
from utils import clock


@dataclass(frozen=True)
class SignedInUser:
    id: int
    username: str
    is_admin: bool


def start(user: users.User) -> None:
    session.clear()  # a fresh session (and CSRF token) at sign-in: no fixation
    session.permanent = True
    session.update(user_id=user.id, sv=user.session_version, login_at=clock.now().timestamp())


def end() -> None:
    session.clear()
    g.pop("web_user", None)


def current_user() -> SignedInUser | None:
    if "web_user" not in g:
        g.web_user = _load_user()
    return g.web_user


def _load_user() -> SignedInUser | None:
    user_id, login_at = session.get("user_id"), session.get("login_at")
    if user_id is None or login_at is None:
        return None
    expiry = current_app.extensions["openalgo.settings"].SESSION_EXPIRY_TIME
    user = users.get(user_id)
    if (user is None or user.session_version != session.get("sv")
            or is_expired(datetime.fromtimestamp(login_at, timezone.utc), expiry, clock.now())):
        session.clear()
        return None
    return SignedInUser(id=user.id, username=user.username, is_admin=user.is_admin)


def session_ends() -> datetime | None:
    """When this browser session ends (the daily SESSION_EXPIRY_TIME after sign-in), for the profile page."""
    login_at = session.get("login_at")
    if login_at is None:
        return None
    expiry = current_app.extensions["openalgo.settings"].SESSION_EXPIRY_TIME
    return expires_at(datetime.fromtimestamp(login_at, timezone.utc), expiry)


def safe_next(target: str | None) -> str | None:
    """`target` when it is a path on this site (not //host, not a scheme), else None."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def login_required(view: Callable) -> Callable:
    """Redirect to the login page (remembering the wanted page) when nobody is signed in."""
    @wraps(view)
    def guarded(*args, **kwargs):
        if current_user() is None:
            wanted = request.full_path.rstrip("?") if request.method == "GET" else None
            return redirect(url_for("auth.login", next=wanted))
        return view(*args, **kwargs)
    return guarded
