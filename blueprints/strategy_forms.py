"""Flask-WTF forms of the strategy pages (each carries its CSRF token); the rules live in
services/strategies.py, these only collect the fields."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from services.strategies import PLATFORMS
from utils.constants import PRODUCTS, TRADABLE_EXCHANGES

_PLATFORM_LABELS = {"tradingview": "TradingView", "amibroker": "Amibroker", "chartink": "ChartInk",
                    "python": "Python (hosted script)"}


def _plain(values: tuple[str, ...]) -> list[SelectChoice]:
    return [SelectChoice(value, value) for value in values]


class StrategyForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=100)])
    platform = SelectField("Platform", choices=[SelectChoice(p, _PLATFORM_LABELS[p]) for p in PLATFORMS])
    mode = SelectField("Trading mode", choices=[SelectChoice("LONG", "LONG only"), SelectChoice("SHORT", "SHORT only"),
                                                SelectChoice("BOTH", "BOTH (position_size is the target)")])
    intraday = BooleanField("Intraday (entry window and daily square-off)", default=True)
    start_time = StringField("Entries from (IST, HH:MM)", default="09:15", validators=[DataRequired()])
    end_time = StringField("Entries until (IST, HH:MM)", default="15:00", validators=[DataRequired()])
    squareoff_time = StringField("Square-off at (IST, HH:MM)", default="15:15", validators=[DataRequired()])
    default_quantity = IntegerField("Default quantity (ChartInk symbols without a mapping)", default=1,
                                    validators=[Optional(), NumberRange(min=1)])
    default_product = SelectField("Default product", choices=_plain(PRODUCTS), default="MIS")


class EditStrategyForm(StrategyForm):
    platform = None  # fixed at creation
    active = BooleanField("Active (webhooks accepted)", default=True)


class MappingForm(FlaskForm):
    symbol = StringField("Symbol", validators=[DataRequired(), Length(max=64)],
                         render_kw={"list": "symbol-results", "autocomplete": "off"})
    exchange = SelectField("Exchange", choices=_plain(TRADABLE_EXCHANGES), default="NSE")
    quantity = IntegerField("Quantity", default=1, validators=[DataRequired(), NumberRange(min=1)])
    product = SelectField("Product", choices=_plain(PRODUCTS), default="MIS")


class CsvForm(FlaskForm):
    csv = TextAreaField("CSV rows: symbol,exchange,quantity,product", validators=[DataRequired()],
                        render_kw={"rows": 6, "placeholder": "symbol,exchange,quantity,product\nSBIN,NSE,10,MIS"})


class ScriptForm(FlaskForm):
    upload = FileField("Upload a .py file (replaces the text below)")
    code = TextAreaField("Script", render_kw={"rows": 18, "spellcheck": "false", "class": "code"})
    run_days = StringField("Run days", default="mon,tue,wed,thu,fri", validators=[DataRequired()])
    run_start = StringField("Start at (IST, HH:MM)", default="09:15", validators=[DataRequired()])
    run_stop = StringField("Stop at (IST, HH:MM; intraday strategies stop at square-off at the latest)",
                           default="15:30", validators=[DataRequired()])
    cpu_seconds = IntegerField("CPU time limit (seconds)", default=3600, validators=[NumberRange(min=1, max=86400)])
    memory_mb = IntegerField("Memory limit (MB)", default=1024, validators=[NumberRange(min=64, max=16384)])
    env = TextAreaField("Variables (NAME=value per line; stored encrypted; leave empty to keep the current ones)",
                        render_kw={"rows": 3})
