"""`/analyzer`: switch analyzer (sandbox) mode and read the analyzer log — each analyze-mode request,
its validation result and the simulated response — filtered by action, outcome and strategy."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from blueprints import web_session
from blueprints.web_session import login_required
from services import analyzer as analyzer_service

bp = Blueprint("analyzer_page", __name__)
ACTIONS = ("placeorder", "placesmartorder", "basketorder", "splitorder", "modifyorder", "cancelorder",
           "cancelallorder", "closeposition", "optionsorder", "optionsmultiorder")


@bp.get("/analyzer")
@login_required
def analyzer():
    user_id = web_session.current_user().id
    filters = {"action": request.args.get("action", "") if request.args.get("action") in ACTIONS else "",
               "status": request.args.get("status", "") if request.args.get("status") in ("success", "error") else "",
               "strategy": request.args.get("strategy", "")[:255]}
    entries = analyzer_service.log(user_id, **{k: v or None for k, v in filters.items()})
    return render_template("analyzer/index.html", status=analyzer_service.status(user_id), entries=entries,
                           filters=filters, actions=ACTIONS)


@bp.post("/analyzer/toggle")
@login_required
def toggle():
    on = request.form.get("mode") == "analyze"
    analyzer_service.toggle(web_session.current_user().id, on)
    flash("Analyzer mode is on: orders are simulated." if on else "Analyzer mode is off: orders go to your broker.")
    return redirect(url_for("analyzer_page.analyzer"))
