"""Strategy pages (`/strategy`): list and create, edit, symbol mappings (one by one with symbol search, or
CSV), rotate the webhook id, delete, recent alerts, and the TradingView alert helper.

Every change is a CSRF-protected form; the rules and error messages come from services/strategies.py.
"""
from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for

from blueprints import web_session
from blueprints.forms import ConfirmForm
from blueprints.strategy_forms import CsvForm, EditStrategyForm, MappingForm, ScriptForm, StrategyForm
from blueprints.web_session import login_required
from services import hosted_strategies, strategies, strategy_alerts, symbols
from utils.errors import DomainError, NotFound
from utils.responses import domain_error_response, http_status_of
from utils.config import PROJECT_ROOT

bp = Blueprint("strategies", __name__, url_prefix="/strategy")

_FIELDS = ("name", "platform", "mode", "intraday", "start_time", "end_time", "squareoff_time", "default_quantity",
           "default_product")


def _user_id() -> int:
    return web_session.current_user().id


def _base_url() -> str:
    return current_app.extensions["openalgo.settings"].HOST_SERVER.rstrip("/")


@bp.get("")
@login_required
def index(form: StrategyForm | None = None, error: str | None = None, status: int = 200):
    rows = strategies.list_for_user(_user_id())
    return render_template("strategy/list.html", strategies=rows, form=form or StrategyForm(), error=error), status


@bp.post("/new")
@login_required
def create():
    form = StrategyForm()
    if not form.validate_on_submit():
        return index(form, "Check the fields below.", 400)
    try:
        made = strategies.create(_user_id(), **{name: form[name].data for name in _FIELDS})
    except DomainError as exc:
        return index(form, exc.message, http_status_of(exc))
    flash(f"Strategy {made.name} created. Add its symbols, then point your alerts at its webhook URL.")
    return redirect(url_for("strategies.detail", strategy_id=made.id))


def _script_form(strategy_id: int) -> tuple[ScriptForm, dict[str, Any], list[str]]:
    script = hosted_strategies.script_of(_user_id(), strategy_id)
    if script is None:
        return ScriptForm(), hosted_strategies.status(_user_id(), strategy_id), []
    form = ScriptForm(data={"code": script.code, "run_days": script.run_days, "run_start": script.run_start,
                            "run_stop": script.run_stop, "cpu_seconds": script.cpu_seconds,
                            "memory_mb": script.memory_mb})
    return form, hosted_strategies.status(_user_id(), strategy_id), hosted_strategies.env_names(script)


def _detail(strategy_id: int, *, edit: EditStrategyForm | None = None, mapping: MappingForm | None = None,
            csv: CsvForm | None = None, script_form: ScriptForm | None = None, error: str | None = None,
            status: int = 200):
    strategy = strategies.get(_user_id(), strategy_id)
    hosted = None
    if strategy.platform == "python":
        form, run, names = _script_form(strategy_id)
        hosted = {"form": script_form or form, "run": run, "env_names": names}
    if edit is None:
        edit = EditStrategyForm(data={"name": strategy.name, "platform": strategy.platform,
                                      "mode": strategy.trading_mode, "intraday": strategy.is_intraday,
                                      "active": strategy.is_active, "start_time": strategy.start_time,
                                      "end_time": strategy.end_time, "squareoff_time": strategy.squareoff_time,
                                      "default_quantity": strategy.default_quantity,
                                      "default_product": strategy.default_product})
    alerts = [(a, json.loads(a.order_json)["order"], json.loads(a.result_json) if a.result_json else {})
              for a in strategy_alerts.recent(strategy.id)]
    path = "chartink" if strategy.platform == "chartink" else "strategy"
    return render_template("strategy/detail.html", strategy=strategy, edit=edit, mapping=mapping or MappingForm(),
                           csv=csv or CsvForm(), confirm=ConfirmForm(), alerts=alerts, error=error, hosted=hosted,
                           webhook_url=f"{_base_url()}/{path}/webhook/{strategies.webhook_id_of(strategy)}"), status


def _guarded(strategy_id: int, action) -> Any:
    try:
        return action()
    except NotFound as exc:
        return render_template("errors/error.html", code=404, title="Not Found", description=exc.message), 404
    except DomainError as exc:
        return _detail(strategy_id, error=exc.message, status=http_status_of(exc))


@bp.get("/<int:strategy_id>")
@login_required
def detail(strategy_id: int):
    return _guarded(strategy_id, lambda: _detail(strategy_id))


@bp.post("/<int:strategy_id>/edit")
@login_required
def edit(strategy_id: int):
    form = EditStrategyForm()
    if not form.validate_on_submit():
        return _guarded(strategy_id, lambda: _detail(strategy_id, edit=form, error="Check the fields below.", status=400))

    def save():
        fields = {name: form[name].data for name in _FIELDS if name != "platform"}
        strategies.update(_user_id(), strategy_id, active=form.active.data, **fields)
        flash("Strategy saved.")
        return redirect(url_for("strategies.detail", strategy_id=strategy_id))
    return _guarded(strategy_id, save)


@bp.post("/<int:strategy_id>/mappings")
@login_required
def add_mapping(strategy_id: int):
    form = MappingForm()
    if not form.validate_on_submit():
        return _guarded(strategy_id, lambda: _detail(strategy_id, mapping=form, error="Check the symbol fields.",
                                                     status=400))

    def save():
        mapping = strategies.parse_mapping(form.symbol.data, form.exchange.data, form.quantity.data, form.product.data)
        strategies.add_mappings(_user_id(), strategy_id, [mapping])
        flash(f"{mapping.exchange}:{mapping.symbol} added.")
        return redirect(url_for("strategies.detail", strategy_id=strategy_id) + "#symbols")
    return _guarded(strategy_id, save)


@bp.post("/<int:strategy_id>/mappings/csv")
@login_required
def import_csv(strategy_id: int):
    form = CsvForm()
    if not form.validate_on_submit():
        return _guarded(strategy_id, lambda: _detail(strategy_id, csv=form, error="Paste at least one CSV row.",
                                                     status=400))

    def save():
        count = strategies.add_mappings(_user_id(), strategy_id, strategies.parse_csv(form.csv.data), replace=True)
        flash(f"{count} symbols imported.")
        return redirect(url_for("strategies.detail", strategy_id=strategy_id) + "#symbols")
    return _guarded(strategy_id, save)


@bp.post("/<int:strategy_id>/mappings/<int:mapping_id>/delete")
@login_required
def delete_mapping(strategy_id: int, mapping_id: int):
    def remove():
        if ConfirmForm().validate_on_submit():
            strategies.remove_mapping(_user_id(), strategy_id, mapping_id)
        return redirect(url_for("strategies.detail", strategy_id=strategy_id) + "#symbols")
    return _guarded(strategy_id, remove)


@bp.post("/<int:strategy_id>/rotate")
@login_required
def rotate(strategy_id: int):
    def save():
        if ConfirmForm().validate_on_submit():
            strategies.rotate_webhook(_user_id(), strategy_id)
            flash("New webhook URL created; the old one no longer works. Update your alerts.")
        return redirect(url_for("strategies.detail", strategy_id=strategy_id))
    return _guarded(strategy_id, save)


@bp.post("/<int:strategy_id>/delete")
@login_required
def delete(strategy_id: int):
    def remove():
        if ConfirmForm().validate_on_submit():
            if hosted_strategies.script_of(_user_id(), strategy_id, any_platform=True) is not None:
                hosted_strategies.set_enabled(_user_id(), strategy_id, False)  # stop its process first
            strategies.delete(_user_id(), strategy_id)
            flash("Strategy deleted.")
        return redirect(url_for("strategies.index"))
    return _guarded(strategy_id, remove)


@bp.get("/symbols")
@login_required
def symbol_search():
    """AJAX symbol search for the mapping form (the user's broker's master contract)."""
    query = request.args.get("q", "").strip()
    if len(query) < 2:
        return jsonify({"status": "success", "data": []})
    try:
        found = symbols.search(_user_id(), query, request.args.get("exchange") or None)
    except DomainError as exc:
        return jsonify({"status": "error", "message": exc.message, "data": []})
    return jsonify({"status": "success", "data": [{"symbol": r["symbol"], "exchange": r["exchange"],
                                                   "name": r.get("name", "")} for r in found.get("data", [])[:20]]})


@bp.get("/<int:strategy_id>/tradingview")
@login_required
def tradingview(strategy_id: int):
    def page():
        strategy = strategies.get(_user_id(), strategy_id)
        symbol = request.args.get("symbol") or (strategy.mappings[0].symbol if strategy.mappings else "SBIN")
        action = "SELL" if request.args.get("action", "BUY").upper() == "SELL" else "BUY"
        helper = strategy_alerts.tradingview_messages(strategy, symbol, action, _base_url())
        return render_template("strategy/tradingview.html", strategy=strategy, symbol=symbol, action=action,
                               **helper)
    return _guarded(strategy_id, page)


AFL_FILE = PROJECT_ROOT / "strategies" / "amibroker" / "openalgo_smartorder.afl"


@bp.get("/amibroker")
@login_required
def amibroker():
    example = {"apikey": "YOUR_API_KEY", "strategy": "Amibroker", "symbol": "SBIN", "action": "BUY",
               "exchange": "NSE", "pricetype": "MARKET", "product": "MIS", "quantity": "10", "position_size": "10"}
    return render_template("strategy/amibroker.html", base_url=_base_url(), afl=AFL_FILE.read_text(),
                           request_example=json.dumps(example, indent=2))


# ------------------------------------------------------------------------------ hosted Python scripts
@bp.post("/<int:strategy_id>/script")
@login_required
def save_script(strategy_id: int):
    form = ScriptForm()
    if not form.validate_on_submit():
        return _guarded(strategy_id, lambda: _detail(strategy_id, script_form=form, error="Check the script fields.",
                                                     status=400))

    def save():
        upload = form.upload.data
        code = upload.read().decode("utf-8", "replace") if upload and getattr(upload, "filename", "") else form.code.data
        try:
            env = hosted_strategies.parse_env(form.env.data) if (form.env.data or "").strip() else None
            hosted_strategies.save_script(_user_id(), strategy_id, code=code or "", run_start=form.run_start.data,
                                          run_stop=form.run_stop.data, run_days=form.run_days.data, env=env,
                                          cpu_seconds=form.cpu_seconds.data, memory_mb=form.memory_mb.data)
        except DomainError as exc:
            return _detail(strategy_id, script_form=form, error=exc.message, status=http_status_of(exc))
        flash("Script saved. It runs with the next start.")
        return redirect(url_for("strategies.detail", strategy_id=strategy_id) + "#script")
    return _guarded(strategy_id, save)


@bp.post("/<int:strategy_id>/script/<any(start, stop):command>")
@login_required
def script_command(strategy_id: int, command: str):
    def run():
        if ConfirmForm().validate_on_submit():
            hosted_strategies.set_enabled(_user_id(), strategy_id, command == "start")
            flash("Started: it runs during its schedule." if command == "start" else "Stopped.")
        return redirect(url_for("strategies.detail", strategy_id=strategy_id) + "#script")
    return _guarded(strategy_id, run)


@bp.get("/<int:strategy_id>/script/log")
@login_required
def script_log(strategy_id: int):
    """JSON for the live log view (polled by the page)."""
    try:
        return jsonify({"status": "success", "log": hosted_strategies.read_log(_user_id(), strategy_id),
                        "run": hosted_strategies.status(_user_id(), strategy_id)})
    except DomainError as exc:
        return domain_error_response(exc)
