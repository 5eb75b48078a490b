"""Option endpoints (API_CONTRACT.md §8): optionsymbol, optionchain, optiongreeks, syntheticfuture, and the
option orders optionsorder, optionsmultiorder (journaled and rate limited like every order).
optiongreeks answers an invalid key with 401, as the contract says (§1.2)."""
from __future__ import annotations

from flask_restx import Namespace

from restx_api.auth import INVALID_KEY_MESSAGE, api_key_required
from restx_api.endpoint import post_endpoint, read_endpoints
from restx_api.schemas.options import (MultiOptionGreeksSchema, OptionChainSchema, OptionGreeksSchema, OptionsMultiOrderSchema,
                                       OptionsOrderSchema,
                                       OptionSymbolSchema, SyntheticFutureSchema)
from services import options, options_orders
from utils.errors import Unauthenticated

namespaces: list[Namespace] = read_endpoints([
    ("optionsymbol", OptionSymbolSchema(), options.optionsymbol, "Option symbol by underlying, expiry and offset"),
    ("optionchain", OptionChainSchema(), options.optionchain, "Option chain around ATM with quotes (and Greeks)"),
    ("syntheticfuture", SyntheticFutureSchema(), options.syntheticfuture, "Synthetic future from put-call parity"),
]) + read_endpoints([
    ("optiongreeks", OptionGreeksSchema(), options.optiongreeks, "Black-76 implied volatility and Greeks"),
    ("multioptiongreeks", MultiOptionGreeksSchema(), options.multioptiongreeks,
     "Implied volatility and Greeks of 1-50 options"),
], auth=api_key_required(invalid=Unauthenticated, invalid_message=INVALID_KEY_MESSAGE))

for _name, _schema, _service, _summary in (
        ("optionsorder", OptionsOrderSchema(), options_orders.options_order,
         "Place an option order chosen by underlying, expiry and offset"),
        ("optionsmultiorder", OptionsMultiOrderSchema(), options_orders.options_multi_order,
         "Place several option legs (BUY legs first)")):
    _ns = Namespace(_name, description=_summary)
    post_endpoint(_ns, "", _schema, _service, summary=_summary, journaled=True)
    namespaces.append(_ns)
