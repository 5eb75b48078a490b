"""Market data endpoints (API_CONTRACT.md §6): quotes, multiquotes, depth, history, intervals, and the
reference's GET ticker (§6.6, JSON or plain text)."""
from __future__ import annotations

from flask import Response, request
from flask_restx import Namespace, Resource

from broker.errors import BrokerError
from restx_api.auth import api_key_required
from restx_api.endpoint import read_endpoints
from restx_api.parsing import parse
from restx_api.schemas.account import ApiKeyOnlySchema
from restx_api.schemas.data import HistorySchema, MultiQuotesSchema, SymbolRequestSchema, TickerQuerySchema
from services import market_data
from services.auth import ApiPrincipal
from services.request_errors import RequestError
from utils.responses import ApiError

ticker_ns = Namespace("ticker", description="Candles as JSON or text lines (reference extra, §6.6)")
_ticker = TickerQuerySchema()


@ticker_ns.route("/<string:pair>", strict_slashes=False)
class Ticker(Resource):
    @ticker_ns.doc(params={"pair": "EXCHANGE:SYMBOL, e.g. NSE:INFY", "apikey": "your API key",
                           "interval": "default D", "from": "YYYY-MM-DD", "to": "YYYY-MM-DD", "format": "json or txt"})
    @api_key_required
    def get(self, principal: ApiPrincipal, pair: str):
        as_text = request.args.get("format") == "txt"
        try:
            r = parse(_ticker, request.args.to_dict())
            exchange, symbol, candles = market_data.ticker(principal.user_id, pair, r["interval"], r["start"], r["end"])
        except (ApiError, RequestError, BrokerError) as exc:
            if not as_text:
                raise
            status = getattr(exc, "status", None) or getattr(exc, "http_status", 500)
            return Response(f"{getattr(exc, 'message', exc)}\n", status=status, mimetype="text/plain")
        if as_text:
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
        user, r["symbol"], r["exchange"], r["interval"], r["start_date"], r["end_date"]),
     "Candles between two dates (epoch-second timestamps)"),
    ("intervals", ApiKeyOnlySchema(), lambda user, r: market_data.intervals(user),
     "History intervals the connected broker serves"),
]) + [ticker_ns]
