"""Margin, market calendar and Telegram endpoints (API_CONTRACT.md §5.6, §10.2, §10.3, §11.1).

The calendar endpoints verify the API key (§14 D15). telegram/notify answers 401 `Invalid or missing API
key` for a missing or wrong key (§1.2), then as services/telegram.py explains (no bot configured yet).
"""
from __future__ import annotations

from flask import current_app
from flask_restx import Namespace, Resource

from restx_api.auth import api_key_required
from restx_api.parsing import json_body, parse, swagger_model
from restx_api.schemas.options import HolidaysSchema, MarginSchema, TelegramNotifySchema, TimingsSchema
from services import margin, market_calendar, telegram
from services.auth import ApiPrincipal

ns = Namespace("utilities", path="/", description="Basket margin, market holidays and timings, Telegram")

_margin = MarginSchema()


@ns.route("/margin", strict_slashes=False)
class Margin(Resource):
    @ns.expect(swagger_model(ns, "MarginRequest", _margin))
    @api_key_required
    def post(self, principal: ApiPrincipal):
        return margin.margin(principal.user_id, parse(_margin)["positions"])


@ns.route("/market/holidays", strict_slashes=False)
class Holidays(Resource):
    @ns.expect(swagger_model(ns, "HolidaysRequest", HolidaysSchema()))
    @api_key_required
    def post(self, principal: ApiPrincipal):
        return market_calendar.holidays_response(current_app, json_body().get("year"))


@ns.route("/market/timings", strict_slashes=False)
class Timings(Resource):
    @ns.expect(swagger_model(ns, "TimingsRequest", TimingsSchema()))
    @api_key_required
    def post(self, principal: ApiPrincipal):
        return market_calendar.timings_response(current_app, json_body().get("date"))


@ns.route("/telegram/notify", strict_slashes=False)
class TelegramNotify(Resource):
    @ns.expect(swagger_model(ns, "TelegramNotifyRequest", TelegramNotifySchema()))
    @api_key_required(invalid_status=401, invalid_message="Invalid or missing API key", missing_status=401)
    def post(self, principal: ApiPrincipal):
        body = json_body()
        return telegram.notify(body.get("username"), body.get("message"))
