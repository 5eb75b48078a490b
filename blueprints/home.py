"""The start page: the dashboard (blueprints/dashboard.py) for a signed-in user."""
from __future__ import annotations

from flask import Blueprint

from blueprints.dashboard import render_dashboard
from blueprints.web_session import login_required

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    return render_dashboard()
