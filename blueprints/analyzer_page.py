"""`/analyzer`: switch analyzer (sandbox) mode, see and reset the sandbox account (virtual capital, funds,
P&L, charges), and read the analyzer log — each analyze-mode request, its validation result and the
simulated response — filtered by action, outcome and strategy."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from blueprints import web_session
from blueprints.web_session import login_required
from services import analyzer as analyzer_service
from services import paper_account
from utils.errors import DomainError

bp = Blueprint("analyzer_page", __name__)
ACTIONS = ("placeorder", "placesmartorder", "basketorder", "splitorder", "modifyorder", "cancelorder",
           "cancelallorder", "closeposition", "optionsorder", "optionsmultiorder")


@bp.get("/analyzer")
@login_required
def analyzer():
    return _page()


def _page(reset_error: str = "", capital: str = "", status: int = 200):  # noqa: ANN202 (a response)
    user_id = web_session.current_user().id
    filters = {"action": request.args.get("action", "") if request.args.get("action") in ACTIONS else "",
               "status": request.args.get("status", "") if request.args.get("status") in ("success", "error") else "",
               "strategy": request.args.get("strategy", "")[:255]}
    entries = analyzer_service.log(user_id, **{k: v or None for k, v in filters.items()})
    try:
        funds, funds_error = paper_account.funds(user_id), ""
    except DomainError as exc:   # e.g. the live broker's quotes are down: the rest of the page still works
        funds, funds_error = None, str(exc)
    return render_template("analyzer/index.html", status=analyzer_service.status(user_id), entries=entries,
                           filters=filters, actions=ACTIONS, funds=funds, account=(funds.raw or {}) if funds else {},
                           funds_error=funds_error, default_capital=paper_account.default_capital(),
                           reset_error=reset_error, capital=capital), status


@bp.post("/analyzer/reset")
@login_required
def reset():
    """Start the sandbox account over, with the virtual capital typed in (empty: PAPER_CAPITAL)."""
    capital = request.form.get("capital", "")[:40]
    try:
        funds = paper_account.reset(web_session.current_user().id, capital)
    except DomainError as exc:
        return _page(reset_error=str(exc), capital=capital, status=400)
    flash(f"Sandbox account reset: capital {float((funds.raw or {}).get('capital', 0)):,.2f} INR.")
    return redirect(url_for("analyzer_page.analyzer"))


@bp.post("/analyzer/toggle")
@login_required
def toggle():
    on = request.form.get("mode") == "analyze"
    analyzer_service.toggle(web_session.current_user().id, on)
    flash("Analyzer mode is on: orders are simulated." if on else "Analyzer mode is off: orders go to your broker.")
    return redirect(url_for("analyzer_page.analyzer"))
