"""Market data endpoints (API_CONTRACT.md §6): quotes, multiquotes, depth, history, intervals."""
from __future__ import annotations

from flask_restx import Namespace, Resource

from restx_api.auth import api_key_required
from restx_api.parsing import parse, swagger_model
from restx_api.schemas.account import ApiKeyOnlySchema
from restx_api.schemas.data import HistorySchema, MultiQuotesSchema, SymbolRequestSchema
from services import market_data
from services.auth import ApiPrincipal

ns = Namespace("market data", path="/", description="Quotes, market depth and historical candles")

_symbol = SymbolRequestSchema()
_multi = MultiQuotesSchema()
_history = HistorySchema()
_key_only = ApiKeyOnlySchema()


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
