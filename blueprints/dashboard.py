"""`/dashboard` (also the start page `/`): funds, P&L, open positions, today's orders by status, the
broker session and the master contract, from services/dashboard.py. `?part=live` returns just the
live section, which static/js/dashboard.js swaps in when an order event arrives."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request

from blueprints import web_session
from blueprints.web_session import login_required
from services import dashboard as dashboard_service, pnl_curve as pnl_service

bp = Blueprint("dashboard", __name__)
FUNDS = (("availablecash", "Available"), ("utiliseddebits", "Used margin"), ("collateral", "Collateral"),
         ("m2mrealized", "Realized P&L"), ("m2munrealized", "Unrealized P&L"))
STATUSES = ("open", "trigger pending", "complete", "cancelled", "rejected")


def render_dashboard():
    summary = dashboard_service.summary(web_session.current_user().id)
    template = "dashboard/live.html" if request.args.get("part") == "live" else "dashboard/index.html"
    return render_template(template, s=summary, funds_fields=FUNDS, statuses=STATUSES)


@bp.get("/dashboard")
@login_required
def dashboard():
    return render_dashboard()


@bp.get("/dashboard/pnl")
@login_required
def pnl_curve():
    """JSON points for the intraday P&L chart."""
    return jsonify(pnl_service.intraday(web_session.current_user().id))
