"""Margin, market calendar, Telegram and WhatsApp endpoints (API_CONTRACT.md §5.6, §10.2, §10.3, §11.1, §16).

The calendar endpoints verify the API key (§14 D15). telegram/notify answers 401 `Invalid or missing API
key` for a missing or wrong key (§1.2), then as services/telegram.py explains (no bot configured yet);
whatsapp/notify likewise, then as services/whatsapp.py explains.
"""
from __future__ import annotations

from flask import current_app
from flask_restx import Namespace

from restx_api.auth import api_key_required
from restx_api.endpoint import read_endpoints
from restx_api.schemas.options import (HolidaysSchema, MarginSchema, TelegramNotifySchema, TimingsSchema,
                                       WhatsAppNotifySchema)
from services import margin, market_calendar, telegram, whatsapp
from utils.errors import Unauthenticated

namespaces: list[Namespace] = read_endpoints([
    ("margin", MarginSchema(), lambda user, r: margin.margin(user, r["positions"]), "Margin of a basket"),
    ("market/holidays", HolidaysSchema(), lambda user, r: market_calendar.holidays_response(current_app, r.get("year")),
     "Exchange holidays of a year"),
    ("market/timings", TimingsSchema(), lambda user, r: market_calendar.timings_response(current_app, r.get("date")),
     "Exchange sessions of a day"),
]) + read_endpoints([
    ("telegram/notify", TelegramNotifySchema(), lambda user, r: telegram.notify(r.get("username"), r.get("message")),
     "Send a Telegram message to a linked user"),
    ("whatsapp/notify", WhatsAppNotifySchema(), lambda user, r: whatsapp.notify(r),
     "Send a WhatsApp message from the paired device"),
], auth=api_key_required(invalid=Unauthenticated, invalid_message="Invalid or missing API key",
                         missing=Unauthenticated))
