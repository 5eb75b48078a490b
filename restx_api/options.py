"""Option analytics endpoints (API_CONTRACT.md §8.1, §8.4-§8.6): optionsymbol, optionchain, optiongreeks,
syntheticfuture; and the option orders optionsorder, optionsmultiorder (§8.2, §8.3). optiongreeks answers an invalid key with 401, as the contract says (§1.2)."""
from __future__ import annotations

from flask_restx import Namespace, Resource

from restx_api.auth import INVALID_KEY_MESSAGE, api_key_required
from restx_api.parsing import parse, swagger_model
from restx_api.endpoint import post_endpoint
from restx_api.schemas.options import (OptionChainSchema, OptionGreeksSchema, OptionsMultiOrderSchema, OptionsOrderSchema,
                                        OptionSymbolSchema, SyntheticFutureSchema)
from services import options, options_orders
from services.auth import ApiPrincipal

ns = Namespace("options", path="/", description="Option symbols, chains, Greeks and synthetic futures")

_symbol = OptionSymbolSchema()
_chain = OptionChainSchema()
_greeks = OptionGreeksSchema()
_synthetic = SyntheticFutureSchema()


@ns.route("/optionsymbol", strict_slashes=False)
class OptionSymbol(Resource):
    @ns.expect(swagger_model(ns, "OptionSymbolRequest", _symbol))
    @api_key_required
    def post(self, principal: ApiPrincipal):
        return options.optionsymbol(principal.user_id, parse(_symbol))


@ns.route("/optionchain", strict_slashes=False)
class OptionChain(Resource):
    @ns.expect(swagger_model(ns, "OptionChainRequest", _chain))
    @api_key_required
    def post(self, principal: ApiPrincipal):
        return options.optionchain(principal.user_id, parse(_chain))


@ns.route("/optiongreeks", strict_slashes=False)
class OptionGreeks(Resource):
    @ns.expect(swagger_model(ns, "OptionGreeksRequest", _greeks))
    @api_key_required(invalid_status=401, invalid_message=INVALID_KEY_MESSAGE)
    def post(self, principal: ApiPrincipal):
        return options.optiongreeks(principal.user_id, parse(_greeks))


@ns.route("/syntheticfuture", strict_slashes=False)
class SyntheticFuture(Resource):
    @ns.expect(swagger_model(ns, "SyntheticFutureRequest", _synthetic))
    @api_key_required
    def post(self, principal: ApiPrincipal):
        return options.syntheticfuture(principal.user_id, parse(_synthetic))


# ------------------------------------------------------------------------ orders (journaled, rate limited)
namespaces: list[Namespace] = [ns]
for _name, _schema, _service, _summary in (
        ("optionsorder", OptionsOrderSchema(), options_orders.options_order,
         "Place an option order chosen by underlying, expiry and offset"),
        ("optionsmultiorder", OptionsMultiOrderSchema(), options_orders.options_multi_order,
         "Place several option legs (BUY legs first)")):
    _ns = Namespace(_name, description=_summary)
    post_endpoint(_ns, "", _schema, _service, summary=_summary, journaled=True)
    namespaces.append(_ns)
