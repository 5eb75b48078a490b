"""The start page: what this server is and where its parts live (the dashboard replaces it later)."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

from blueprints.web_session import login_required

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    settings = current_app.extensions["openalgo.settings"]
    return render_template("home.html", websocket_url=settings.websocket_url)
