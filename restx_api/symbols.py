"""Symbol and instrument endpoints (API_CONTRACT.md §7): symbol, search, expiry, instruments (GET)."""
from __future__ import annotations

from flask import Response, request
from flask_restx import Namespace, Resource

from restx_api.auth import api_key_required
from restx_api.endpoint import read_endpoints
from restx_api.parsing import parse
from restx_api.plain_text import plain_text_errors
from restx_api.schemas.data import ExpirySchema, InstrumentsQuerySchema, SearchSchema, SymbolRequestSchema
from services import symbols
from services.auth import ApiPrincipal

instruments_ns = Namespace("instruments", description="The master contract as JSON or CSV")
_instruments = InstrumentsQuerySchema()


@instruments_ns.route("", strict_slashes=False)
class Instruments(Resource):
    @instruments_ns.doc(params={"apikey": "your API key", "exchange": "exchange code (all exchanges when absent)",
                                "format": "json (default) or csv; with csv, errors are plain text too"})
    @plain_text_errors(lambda: request.args.get("format", "").lower() == "csv")
    @api_key_required
    def get(self, principal: ApiPrincipal):
        r = parse(_instruments, request.args.to_dict())
        records = symbols.instruments(principal.user_id, r["exchange"])
        if r["format"].lower() != "csv":
            return symbols.instruments_json(records)
        filename = f"instruments_{r['exchange'] or 'all'}.csv"
        return Response(symbols.instruments_csv(records), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename={filename}"})


namespaces: list[Namespace] = read_endpoints([
    ("symbol", SymbolRequestSchema(), lambda user, r: symbols.symbol_info(user, r["symbol"], r["exchange"]),
     "One instrument of the master contract"),
    ("search", SearchSchema(), lambda user, r: symbols.search(user, r["query"], r["exchange"]),
     "Search instruments by symbol, name, broker symbol or token"),
    ("expiry", ExpirySchema(), lambda user, r: symbols.expiry(user, r["symbol"], r["exchange"], r["instrumenttype"]),
     "Expiry dates of an underlying's futures or options"),
]) + [instruments_ns]
