"""App-wide browser protections: first-run redirect, CSRF, security headers, cookie flags and CORS.

Routes under `NON_BROWSER_PREFIXES` authenticate by API key or webhook id: they skip CSRF and the
first-run redirect; the API-key and webhook routes themselves get no cookie session at all (a browser's
login cookie can never act on them, and they do not pay for reading and signing one). Every other state-changing request needs the CSRF token (form field `csrf_token`
or the `X-CSRFToken` header that static/js/app.js adds to AJAX calls).
"""
from __future__ import annotations

import base64
import hashlib
import re
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask, Request, current_app, redirect, request, url_for
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_cors import CORS
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from services import accounts

NON_BROWSER_PREFIXES = ("/api/", "/strategy/webhook/", "/chartink/webhook/", "/postback/")
_SESSIONLESS_PREFIXES = ("/api/v1/", "/strategy/webhook/", "/chartink/webhook/", "/postback/")   # /api/docs is a page
_NO_SETUP_REDIRECT = NON_BROWSER_PREFIXES + ("/health", "/static/", "/setup")
_UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
                           "form-action 'self'; frame-ancestors 'none'")
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S)

_POLICY = "openalgo.content_security_policy"

csrf = CSRFProtect()


def _redirect_to_setup():
    if (request.endpoint is None or request.path.startswith(_NO_SETUP_REDIRECT)
            or current_app.extensions.get("openalgo.has_users")):
        return None  # unknown paths keep their 404
    if accounts.setup_needed():
        return redirect(url_for("auth.setup"))
    current_app.extensions["openalgo.has_users"] = True  # users are never deleted: no need to ask again
    return None


def _protect_against_csrf():
    if request.method in _UNSAFE_METHODS and not request.path.startswith(NON_BROWSER_PREFIXES):
        csrf.protect()


class BrowserOnlySessionInterface(SecureCookieSessionInterface):
    """The signed-cookie session for browser routes; API-key and webhook routes get Flask's null session."""

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        if request.path.startswith(_SESSIONLESS_PREFIXES):
            return self.make_null_session(app)
        return super().open_session(app, request)


def _csrf_error(exc: CSRFError):
    from blueprints.errors import handle_http_error

    exc.description = (f"{exc.description} The form was sent without its security token, or the page was "
                       "open from an earlier session. Go back, reload the page and submit it again.")
    return handle_http_error(exc)


def _swagger_policy(body: bytes) -> str:
    """Swagger UI's page starts itself with one inline script (restx template): allow exactly that one."""
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
                      for script in _INLINE_SCRIPT.findall(body))
    return (f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'")


def page_policy(websocket_url: str) -> str:
    """The pages' policy: this site only, plus the market-data WebSocket (own port) for live charts."""
    parts = urlsplit(websocket_url)
    feed = f" {parts.scheme}://{parts.netloc}" if parts.scheme in ("ws", "wss") and parts.netloc else ""
    return f"{CONTENT_SECURITY_POLICY}; connect-src 'self'{feed}"


def _security_headers(response):
    headers = response.headers
    if response.mimetype == "text/html" and request.path == "/api/docs":
        headers["Content-Security-Policy"] = _swagger_policy(response.get_data())
    else:
        headers.setdefault("Content-Security-Policy", current_app.extensions.get(_POLICY, CONTENT_SECURITY_POLICY))
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if current_app.config["SESSION_COOKIE_SECURE"]:  # HOST_SERVER is https: browsers stay on https
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.path.startswith(("/auth/", "/apikey", "/profile", "/audit", "/setup", "/broker", "/strategy")):
        headers["Cache-Control"] = "no-store"  # pages with keys or forms are never cached
    return response


def _cors(app: Flask, settings) -> None:
    if not settings.CORS_ENABLED:
        return
    CORS(app, resources={r"/api/v1/*": {
        "origins": list(settings.CORS_ALLOWED_ORIGINS),
        "methods": list(settings.CORS_ALLOWED_METHODS),
        "allow_headers": list(settings.CORS_ALLOWED_HEADERS),
        "supports_credentials": settings.CORS_ALLOW_CREDENTIALS,
        "max_age": settings.CORS_MAX_AGE,
    }})


def register(app: Flask) -> None:
    settings = app.extensions["openalgo.settings"]
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.HOST_SERVER.startswith("https://"),
        SESSION_COOKIE_NAME="openalgo_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=25),  # the server ends sessions daily anyway
        WTF_CSRF_CHECK_DEFAULT=False,  # checked by `_protect_against_csrf`, which knows the exempt paths
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session (which ends daily)
    )
    app.session_interface = BrowserOnlySessionInterface()
    app.extensions[_POLICY] = page_policy(settings.websocket_url)
    csrf.init_app(app)
    app.register_error_handler(CSRFError, _csrf_error)
    if settings.TRUSTED_PROXIES:  # behind nginx/Caddy: the client's address is in X-Forwarded-For
        hops = settings.TRUSTED_PROXIES
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    app.before_request(_redirect_to_setup)
    app.before_request(_protect_against_csrf)
    app.after_request(_security_headers)
    _cors(app, settings)
