"""`POST /api/v1/pnl/symbols`: today's P&L per symbol (services/pnl_report.py). The body is the
reference's (`data` rows with `pnl`, `unrealized_pnl`, `today_realized_pnl`, `total_pnl_today`; the
same totals at the top level; `mode`), with the traded quantities and averages added to each row.
Unlike the reference, live mode is answered too, from the live broker's trade and position books."""
from __future__ import annotations

from flask_restx import Namespace, fields

from restx_api.endpoint import post_endpoint
from restx_api.schemas.account import ApiKeyOnlySchema
from services import pnl_report

SUMMARY = "Today's P&L per symbol: realised, unrealised (marked to the last price) and total"
ns = Namespace("pnl", description="Day P&L reports")

_ROW = ns.model("PnlSymbolRow", {
    "symbol": fields.String, "exchange": fields.String, "product": fields.String,
    "quantity": fields.Float(description="net quantity now; negative is short, 0 closed today"),
    "unrealized_pnl": fields.Float(description="open P&L at ltp; a carried position's counts from the previous close"),
    "average_price": fields.Float, "ltp": fields.Float(description="the price the open quantity is marked to"),
    "buy_quantity": fields.Float(description="bought today"), "buy_average": fields.Float,
    "sell_quantity": fields.Float(description="sold today"), "sell_average": fields.Float,
    "today_realized_pnl": fields.Float,
    "total_pnl_today": fields.Float(description="today_realized_pnl + unrealized_pnl"),
    "pnl": fields.Float(description="the same as total_pnl_today"),
    "charges": fields.Float(description="simulated charges of today's fills (sandbox, PAPER_CHARGES); not in the P&L"),
})
_BODY = ns.model("PnlSymbolsResponse", {
    "status": fields.String(example="success"), "data": fields.List(fields.Nested(_ROW)),
    "total_pnl": fields.Float, "total_unrealized_pnl": fields.Float, "total_today_realized_pnl": fields.Float,
    "total_pnl_today": fields.Float, "total_charges": fields.Float, "mode": fields.String(enum=["analyze", "live"]),
})

post_endpoint(ns, "/symbols", ApiKeyOnlySchema(), lambda user_id, data, timer: pnl_report.pnl_symbols(user_id),
              summary=SUMMARY, response=_BODY)
