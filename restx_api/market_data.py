"""Market data endpoints (API_CONTRACT.md §6): quotes, multiquotes, depth, history, intervals, and the
reference's GET ticker (§6.6, JSON or plain text)."""
from __future__ import annotations

from flask import Response, request
from flask_restx import Namespace, Resource

from broker.errors import BrokerError

from restx_api.auth import api_key_required
from restx_api.parsing import parse, swagger_model
from restx_api.schemas.account import ApiKeyOnlySchema
from restx_api.schemas.data import HistorySchema, MultiQuotesSchema, SymbolRequestSchema, TickerQuerySchema
from services import market_data
from services.auth import ApiPrincipal
from services.request_errors import RequestError
from utils.responses import ApiError

ns = Namespace("market data", path="/", description="Quotes, market depth and historical candles")

_symbol = SymbolRequestSchema()
_multi = MultiQuotesSchema()
_history = HistorySchema()
_key_only = ApiKeyOnlySchema()
_ticker = TickerQuerySchema()


@ns.route("/quotes", strict_slashes=False)
class Quotes(Resource):
    @ns.expect(swagger_model(ns, "QuotesRequest", _symbol))
    @api_key_required
    def post(self, principal: ApiPrincipal):
        request = parse(_symbol)
        return market_data.quote(principal.user_id, request["symbol"], request["exchange"])


@ns.route("/multiquotes", strict_slashes=False)
class MultiQuotes(Resource):
    @ns.expect(swagger_model(ns, "MultiQuotesRequest", _multi))
    @api_key_required
    def post(self, principal: ApiPrincipal):
        return market_data.multiquotes(principal.user_id, parse(_multi)["symbols"])


@ns.route("/depth", strict_slashes=False)
class MarketDepth(Resource):
    @ns.expect(swagger_model(ns, "DepthRequest", _symbol))
    @api_key_required
    def post(self, principal: ApiPrincipal):
        request = parse(_symbol)
        return market_data.depth(principal.user_id, request["symbol"], request["exchange"])


@ns.route("/history", strict_slashes=False)
class History(Resource):
    @ns.expect(swagger_model(ns, "HistoryRequest", _history))
    @api_key_required
    def post(self, principal: ApiPrincipal):
        r = parse(_history)
        return market_data.history(principal.user_id, r["symbol"], r["exchange"], r["interval"],
                                   r["start_date"], r["end_date"])


@ns.route("/intervals", strict_slashes=False)
class Intervals(Resource):
    @ns.expect(swagger_model(ns, "IntervalsRequest", _key_only))
    @api_key_required
    def post(self, principal: ApiPrincipal):
        parse(_key_only)
        return market_data.intervals(principal.user_id)


@ns.route("/ticker/<string:pair>", strict_slashes=False)
class Ticker(Resource):
    @ns.doc(params={"pair": "EXCHANGE:SYMBOL, e.g. NSE:INFY", "apikey": "your API key",
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
