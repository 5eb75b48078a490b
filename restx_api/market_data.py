"""Market data endpoints (API_CONTRACT.md §6): quotes, multiquotes, depth, history, intervals, and the
reference's GET ticker (§6.6, JSON or plain text)."""
from __future__ import annotations

from flask import Response, request
from flask_restx import Namespace, Resource

from restx_api.auth import api_key_required
from restx_api.endpoint import read_endpoints
from restx_api.parsing import parse
from restx_api.plain_text import plain_text_errors
from restx_api.schemas.account import ApiKeyOnlySchema
from restx_api.schemas.data import HistorySchema, MultiQuotesSchema, SymbolRequestSchema, TickerQuerySchema
from services import broker_session, market_data
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
        with broker_session.expire_on_token_error(principal.user_id):
            exchange, symbol, candles = market_data.ticker(principal.user_id, pair, r["interval"], r["start"], r["end"])
        if r["format"] == "txt":
            return Response(market_data.ticker_text(exchange, symbol, r["interval"], candles), mimetype="text/plain")
        return {"status": "success", "data": [market_data.candle_body(c) for c in candles]}


namespaces: list[Namespace] = read_endpoints([
    ("quotes", SymbolRequestSchema(), lambda user, r: market_data.quote(user, r["symbol"], r["exchange"]),
     "Quote of one symbol"),
    ("multiquotes", MultiQuotesSchema(), lambda user, r: market_data.multiquotes(user, r["symbols"]),
     "Quotes of several symbols, with per-symbol errors"),
    ("depth", SymbolRequestSchema(), lambda user, r: market_data.depth(user, r["symbol"], r["exchange"]),
     "Five-level market depth"),
    ("history", HistorySchema(), lambda user, r: market_data.history(
        user, r["symbol"], r["exchange"], r["interval"], r["start_date"], r["end_date"], r["source"]),
     "Candles between two dates (epoch-second timestamps)"),
    ("intervals", ApiKeyOnlySchema(), lambda user, r: market_data.intervals(user),
     "History intervals the connected broker serves"),
]) + [ticker_ns]
