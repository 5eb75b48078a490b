"""Market data endpoints (API_CONTRACT.md §6): quotes, multiquotes, depth, history, intervals, and the
reference's GET ticker (§6.6, JSON or plain text)."""
from __future__ import annotations

from flask import request
from flask_restx import Namespace, Resource

from restx_api import heavy_reads
from restx_api.auth import api_key_required
from restx_api.endpoint import read_endpoints
from restx_api.parsing import parse
from restx_api.plain_text import plain_text_errors
from restx_api.schemas.account import ApiKeyOnlySchema
from restx_api.schemas.data import HistorySchema, MultiQuotesSchema, SymbolRequestSchema, TickerQuerySchema
from services import market_data
from services.auth import ApiPrincipal

ticker_ns = Namespace("ticker", description="Candles as JSON or text lines (reference extra, §6.6)")
_ticker = TickerQuerySchema()


@ticker_ns.route("/<string:pair>", strict_slashes=False)
class Ticker(Resource):
    @ticker_ns.doc(params={"pair": "EXCHANGE:SYMBOL, e.g. NSE:INFY", "apikey": "your API key",
                           "interval": "default D", "from": "YYYY-MM-DD", "to": "YYYY-MM-DD", "format": "json or txt"})
    @plain_text_errors(lambda: request.args.get("format") == "txt")
    @api_key_required
    def get(self, principal: ApiPrincipal, pair: str):
        r = parse(_ticker, request.args.to_dict())
        return heavy_reads.respond("ticker", principal.user_id, {**r, "pair": pair})


namespaces: list[Namespace] = read_endpoints([
    ("quotes", SymbolRequestSchema(), lambda user, r: market_data.quote(user, r["symbol"], r["exchange"]),
     "Quote of one symbol"),
    ("multiquotes", MultiQuotesSchema(), lambda user, r: market_data.multiquotes(user, r["symbols"]),
     "Quotes of several symbols, with per-symbol errors"),
    ("depth", SymbolRequestSchema(), lambda user, r: market_data.depth(user, r["symbol"], r["exchange"]),
     "Five-level market depth"),
    ("history", HistorySchema(), lambda user, r: heavy_reads.respond("history", user, r),
     "Candles between two dates (epoch-second timestamps); run by a heavy-read worker process"),
    ("intervals", ApiKeyOnlySchema(), lambda user, r: market_data.intervals(user),
     "History intervals the connected broker serves"),
]) + [ticker_ns]
