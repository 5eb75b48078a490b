"""Symbol and instrument endpoints (API_CONTRACT.md §7): symbol, search, expiry, instruments (GET)."""
from __future__ import annotations

from flask import Response, request
from flask_restx import Namespace, Resource

from restx_api.auth import api_key_required
from restx_api.parsing import parse, swagger_model
from restx_api.schemas.data import ExpirySchema, InstrumentsQuerySchema, SearchSchema, SymbolRequestSchema
from services import symbols
from services.auth import ApiPrincipal

ns = Namespace("symbols", path="/", description="Instrument lookup, search, expiries and the master contract")

_symbol = SymbolRequestSchema()
_search = SearchSchema()
_expiry = ExpirySchema()
_instruments = InstrumentsQuerySchema()


@ns.route("/symbol", strict_slashes=False)
class Symbol(Resource):
    @ns.expect(swagger_model(ns, "SymbolRequest", _symbol))
    @api_key_required
    def post(self, principal: ApiPrincipal):
        r = parse(_symbol)
        return symbols.symbol_info(principal.user_id, r["symbol"], r["exchange"])


@ns.route("/search", strict_slashes=False)
class Search(Resource):
    @ns.expect(swagger_model(ns, "SearchRequest", _search))
    @api_key_required
    def post(self, principal: ApiPrincipal):
        r = parse(_search)
        return symbols.search(principal.user_id, r["query"], r["exchange"])


@ns.route("/expiry", strict_slashes=False)
class Expiry(Resource):
    @ns.expect(swagger_model(ns, "ExpiryRequest", _expiry))
    @api_key_required
    def post(self, principal: ApiPrincipal):
        r = parse(_expiry)
        return symbols.expiry(principal.user_id, r["symbol"], r["exchange"], r["instrumenttype"])


@ns.route("/instruments", strict_slashes=False)
class Instruments(Resource):
    @ns.doc(params={"apikey": "your API key", "exchange": "exchange code (all exchanges when absent)",
                    "format": "json (default) or csv"})
    @api_key_required
    def get(self, principal: ApiPrincipal):
        r = parse(_instruments, request.args.to_dict())
        records = symbols.instruments(principal.user_id, r["exchange"])
        if r["format"].lower() != "csv":
            return symbols.instruments_json(records)
        filename = f"instruments_{r['exchange'] or 'all'}.csv"
        return Response(symbols.instruments_csv(records), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename={filename}"})
